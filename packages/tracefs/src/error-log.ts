import { readFileSync } from 'node:fs';

/** One entry of <tracefs>/error_log (kernel 5.2+): the complaint, the command and the caret position. */
export interface ErrorLogEntry {
  /** The entry as the kernel printed it, timestamp included; identifies it between two reads. */
  raw: string;
  /** e.g. `trace_uprobe` */
  source: string;
  /** e.g. `Failed to find the given file` */
  message: string;
  command: string;
  /** Index into `command` the kernel's caret points at, if any. */
  position?: number;
}

const HEAD = /^\[[^\]]*\]\s*([^:]+): error: (.*)$/;
const COMMAND = '  Command: ';

/** Parses error_log text into entries, oldest first. */
export function parseErrorLog(text: string): ErrorLogEntry[] {
  const entries: ErrorLogEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = HEAD.exec(lines[i]!);
    if (!head) continue;
    const commandLine = lines[i + 1] ?? '';
    if (!commandLine.startsWith(COMMAND)) continue;
    const caretLine = lines[i + 2] ?? '';
    const caret = caretLine.indexOf('^');
    const isCaret = caret >= COMMAND.length && caretLine.trim() === '^';
    entries.push({
      raw: lines.slice(i, isCaret ? i + 3 : i + 2).join('\n'),
      source: head[1]!,
      message: head[2]!,
      command: commandLine.slice(COMMAND.length),
      ...(isCaret ? { position: caret - COMMAND.length } : {}),
    });
    if (isCaret) i += 2;
    else i += 1;
  }
  return entries;
}

/** Reads error_log; kernels before 5.2 have none, and an unreadable log only costs the detail. */
export function readErrorLog(path: string): ErrorLogEntry[] {
  try {
    return parseErrorLog(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

/**
 * The entry the kernel logged for `command` between two reads of the log. Entries present in
 * `before` are old (the log keeps the last 16 entries from every writer), so an earlier failure
 * of the same command is not mistaken for this one.
 */
export function findNewEntry(
  before: readonly ErrorLogEntry[],
  after: readonly ErrorLogEntry[],
  command: string,
): ErrorLogEntry | undefined {
  const last = before[before.length - 1];
  const start = last ? after.findIndex((e) => e.raw === last.raw) + 1 : 0;
  const fresh = after.slice(start);
  for (let i = fresh.length - 1; i >= 0; i--) {
    if (fresh[i]!.command.trim() === command.trim()) return fresh[i];
  }
  return undefined;
}

/** A one-line description of the kernel's complaint, for an error hint. */
export function describeEntry(entry: ErrorLogEntry): string {
  if (entry.position === undefined) return `kernel: ${entry.message}`;
  const at = entry.command.slice(entry.position).split(' ')[0];
  return at ? `kernel: ${entry.message} (at '${at}')` : `kernel: ${entry.message}`;
}
