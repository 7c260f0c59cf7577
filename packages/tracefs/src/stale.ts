import { readFileSync } from 'node:fs';
import { fromNodeError, SyscallError } from '@bpfkit/errors';
import { eventsFilePath, hasEventsFile, type ProbeType, removeEvent } from './events-file.js';
import { DEFAULT_PREFIX, OwnerChecker, type OwnerState, parseGroupOwner, type ProcessOwner } from './owner.js';
import { tracefsPath } from './path.js';

/** A probe event listed in kprobe_events or uprobe_events. */
export interface ListedEvent {
  type: ProbeType;
  group: string;
  name: string;
}

/** An event removeStaleEvents() removed, with the dead owner its group named. */
export interface StaleEvent extends ListedEvent {
  owner: ProcessOwner;
}

export interface RemoveStaleEventsOptions {
  /** The tracefs directory; default tracefsPath(). */
  tracefs?: string;
  /** Only groups made by randomGroup(prefix) are considered; default 'bpfkit'. */
  prefix?: string;
}

const LINE = /^[pr]\d*:([^/\s]+)\/(\S+)/;

/** The events in <tracefs>/<type>_events (none if the kernel lacks the file). */
function listEventsOf(root: string, type: ProbeType): ListedEvent[] {
  if (!hasEventsFile(root, type)) return [];
  const file = eventsFilePath(root, type);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fromNodeError(err, `read(${file})`, { context: `listing ${type} events` });
  }
  const events: ListedEvent[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m) events.push({ type, group: m[1]!, name: m[2]! });
  }
  return events;
}

/** Every kprobe and uprobe event on the system, whoever created it. */
export function listEvents(options: { tracefs?: string } = {}): ListedEvent[] {
  const root = options.tracefs ?? tracefsPath();
  return [...listEventsOf(root, 'kprobe'), ...listEventsOf(root, 'uprobe')];
}

/**
 * Removes the kprobe and uprobe events whose group was made by randomGroup(prefix) in a process
 * that no longer runs, and returns them. Groups of other tools, groups of live processes, and
 * groups whose owner cannot be judged from this PID namespace are left alone; so are events
 * still in use (EBUSY, e.g. held by a pinned BPF link) and events another process removes first.
 */
export function removeStaleEvents(options: RemoveStaleEventsOptions = {}): StaleEvent[] {
  const root = options.tracefs ?? tracefsPath();
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const checker = new OwnerChecker();
  const verdicts = new Map<string, { owner: ProcessOwner; state: OwnerState } | undefined>();
  const removed: StaleEvent[] = [];
  for (const event of listEvents({ tracefs: root })) {
    if (!verdicts.has(event.group)) {
      const owner = parseGroupOwner(event.group, prefix);
      verdicts.set(event.group, owner && { owner, state: checker.state(owner) });
    }
    const verdict = verdicts.get(event.group);
    if (verdict?.state !== 'dead') continue;
    try {
      removeEvent(root, event.type, event.group, event.name);
    } catch (err) {
      if (err instanceof SyscallError && (err.code === 'ENOENT' || err.code === 'EBUSY')) continue;
      throw err;
    }
    removed.push({ ...event, owner: verdict.owner });
  }
  return removed;
}

const swept = new Set<string>();

/**
 * The sweep event creation runs before the first event of the process (per tracefs directory).
 * It is housekeeping for other, dead processes: failing it must not stop this one.
 */
export function removeStaleEventsOnce(root: string): void {
  if (swept.has(root)) return;
  swept.add(root);
  try {
    removeStaleEvents({ tracefs: root });
  } catch {
    // An explicit removeStaleEvents() call reports the same problem.
  }
}
