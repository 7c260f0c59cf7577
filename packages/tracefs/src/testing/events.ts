import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentOwner } from '../owner.js';
import { tracefsPath } from '../path.js';

/** The lines of <tracefs>/uprobe_events, as the kernel lists them. */
export function uprobeEventLines(): string[] {
  return readFileSync(join(tracefsPath(), 'uprobe_events'), 'utf8').split('\n').filter(Boolean);
}

/** Whether any listed uprobe event is in `group`. */
export function groupListed(group: string): boolean {
  return uprobeEventLines().some((l) => l.split(' ')[0]!.split(':')[1]!.startsWith(`${group}/`));
}

/** Listed uprobe events whose group names this process as its owner. */
export function ownGroupsListed(): string[] {
  const me = currentOwner();
  const tag = `_${me.pid}_${me.startTime.toString(16)}_${me.pidNamespace.toString(16)}_`;
  return uprobeEventLines().filter((l) => l.includes(tag));
}
