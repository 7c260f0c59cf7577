import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import { Errno, fromNodeError, nodeErrno, SyscallError } from '@bpfkit/errors';
import { describeEntry, findNewEntry, readErrorLog } from './error-log.js';
import { tracefsFile } from './path.js';

export type ProbeType = 'kprobe' | 'uprobe';

/** The kernel's WRITE_BUFSIZE (trace_dynevent.c) minus '\n' and NUL: the longest command it parses. */
export const MAX_COMMAND_BYTES = 4094;

/** <tracefs>/kprobe_events or <tracefs>/uprobe_events. */
export function eventsFilePath(root: string, type: ProbeType): string {
  return tracefsFile(root, `${type}_events`);
}

export function hasEventsFile(root: string, type: ProbeType): boolean {
  return existsSync(eventsFilePath(root, type));
}

export interface AppendOptions {
  /** What was attempted, the error message's prefix. */
  context: string;
  /** What an errno most likely means here, for when error_log has no entry that explains it. */
  hints?: Partial<Record<string, string>>;
}

/**
 * Appends one command to an events file. The file is opened O_WRONLY|O_APPEND (appending, as
 * opposed to truncating, which would delete every probe event on the system) and the command
 * goes out in one write(2), because the kernel parses each write on its own. A rejected write
 * becomes a SyscallError carrying the kernel's explanation from error_log when there is one.
 */
export function appendCommand(root: string, type: ProbeType, command: string, options: AppendOptions): void {
  const file = eventsFilePath(root, type);
  const errorLog = tracefsFile(root, 'error_log');
  const before = readErrorLog(errorLog);
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND);
  } catch (err) {
    throw fromNodeError(err, `open(${file})`, { context: options.context });
  }
  try {
    const data = Buffer.from(command, 'utf8');
    const written = writeSync(fd, data);
    if (written !== data.length) {
      throw new SyscallError(`write(${file})`, Errno.EIO, {
        context: options.context,
        hint: `short write: ${written} of ${data.length} bytes`,
      });
    }
  } catch (err) {
    const errno = nodeErrno(err);
    if (errno === undefined || err instanceof SyscallError) throw err;
    const entry = findNewEntry(before, readErrorLog(errorLog), command);
    const hint = entry ? describeEntry(entry) : options.hints?.[(err as { code?: string }).code ?? ''];
    throw new SyscallError(`write(${file})`, errno, { context: options.context, cause: err, ...(hint ? { hint } : {}) });
  } finally {
    closeSync(fd);
  }
}

/** Removes the event `group/name` by writing `-:group/name` (the probe type does not matter to the kernel). */
export function removeEvent(root: string, type: ProbeType, group: string, name: string): void {
  const file = eventsFilePath(root, type);
  appendCommand(root, type, `-:${group}/${name}`, {
    context: `remove event "${group}/${name}" from ${file}`,
    hints: {
      EBUSY: 'the event is still in use by a perf event or BPF link; close that first',
      ENOENT: 'no such event: it was already removed',
    },
  });
}
