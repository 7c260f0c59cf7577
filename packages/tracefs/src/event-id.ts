import { readFileSync } from 'node:fs';
import { BpfError, fromNodeError, InvalidArgumentError } from '@bpfkit/errors';
import { isTracepointIdentifier } from './names.js';
import { tracefsFile, tracefsPath } from './path.js';

export interface EventIDOptions {
  /** The tracefs directory; default tracefsPath(). */
  tracefs?: string;
}

/** Reads <root>/events/<group>/<name>/id; node:fs errors come out unchanged. */
export function readEventID(root: string, group: string, name: string): number {
  const text = readFileSync(tracefsFile(root, 'events', group, name, 'id'), 'utf8');
  const id = Number(text.trim());
  if (!/^\d+\s*$/.test(text) || !Number.isSafeInteger(id)) {
    throw new BpfError(`reading trace event ID of ${group}/${name}: unexpected content ${JSON.stringify(text)}`);
  }
  return id;
}

/**
 * The ID of the trace event group/name (a tracepoint such as `syscalls/sys_enter_openat`, or a
 * kprobe/uprobe event), as perf_event_open(PERF_TYPE_TRACEPOINT) wants it. A missing event gives
 * a SyscallError with code 'ENOENT' (isNotExist() is true).
 */
export function eventID(group: string, name: string, options: EventIDOptions = {}): number {
  if (!isTracepointIdentifier(group)) throw new InvalidArgumentError('tracefs group', JSON.stringify(group));
  if (!isTracepointIdentifier(name)) throw new InvalidArgumentError('tracefs name', JSON.stringify(name));
  const root = options.tracefs ?? tracefsPath();
  try {
    return readEventID(root, group, name);
  } catch (err) {
    throw fromNodeError(err, `read(${tracefsFile(root, 'events', group, name, 'id')})`, {
      context: `reading trace event ID of ${group}/${name}`,
      ...((err as { code?: string }).code === 'ENOENT' ? { hint: 'no such trace event' } : {}),
    });
  }
}
