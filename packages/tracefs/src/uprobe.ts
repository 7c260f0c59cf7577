import { basename, isAbsolute } from 'node:path';
import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';
import { eventsFilePath, hasEventsFile, MAX_COMMAND_BYTES } from './events-file.js';
import { MAX_NAME_CHARS, sanitizeSymbol, validateGroupName } from './names.js';
import { randomGroup } from './owner.js';
import { tracefsPath } from './path.js';
import { newEvent, type ProbeEvent } from './probe-event.js';
import { toU64 } from './u64.js';

export interface UprobeEventOptions {
  /** Absolute path of the executable or shared library. */
  path: string;
  /**
   * File offset of the probed instruction (not a virtual address): @bpfkit/elf's `FileOffset`
   * (from `symbol.fileOffset` or `ElfFile.fileOffset(vaddr)`) fits here as it is.
   */
  fileOffset?: number | bigint;
  /** @deprecated The old name of `fileOffset`; accepted when `fileOffset` is not given. */
  offset?: number | bigint;
  /** File offset of the USDT semaphore the kernel increments while the probe is active; 0 = none. */
  refCtrOffset?: number | bigint;
  /** A return probe (uretprobe). */
  ret?: boolean;
  /** Used for the event name; default `<basename>_0x<offset>`. */
  symbol?: string;
  /** Default: randomGroup(), which names this process as the owner. */
  group?: string;
  /** The tracefs directory; default tracefsPath(). */
  tracefs?: string;
}

/**
 * Bytes the kernel's command parser cannot take inside a path: it splits a write into lines,
 * cuts each line at '#' (a comment) and splits it into arguments at whitespace, with no quoting
 * or escaping of any kind.
 */
const UNPARSABLE = /[\s#\x00-\x1f\x7f]/;

/** Validates a uprobe target path; tracefs has no way to express whitespace, '#' or control characters. */
export function validateUprobePath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', 'path cannot be empty');
  if (!isAbsolute(path)) {
    throw new InvalidArgumentError('path', `path '${path}' must be absolute (the kernel would resolve it against the writer's working directory)`);
  }
  if (UNPARSABLE.test(path)) {
    throw new InvalidArgumentError(
      'path',
      `path ${JSON.stringify(path)} contains whitespace, '#' or a control character, which tracefs cannot parse (it splits commands at whitespace, '#' starts a comment, and there is no quoting); use a path or symlink without them`,
    );
  }
}

/** The uprobe place: `<path>:0x<offset>`, plus `(0x<refCtrOffset>)` when that is not 0. */
export function uprobeToken(path: string, offset: number | bigint, refCtrOffset: number | bigint = 0): string {
  const off = toU64(offset, 'offset');
  const ref = toU64(refCtrOffset, 'refCtrOffset');
  return `${path}:0x${off.toString(16)}${ref === 0n ? '' : `(0x${ref.toString(16)})`}`;
}

/**
 * Creates a uprobe or uretprobe event in <tracefs>/uprobe_events at a file offset of `path`.
 * The kernel checks the file when the event is created (ENOENT for a missing one); it checks the
 * offset only when a perf event enables the probe.
 */
export function createUprobeEvent(options: UprobeEventOptions): ProbeEvent {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'expected an object');
  const { path, ret = false } = options;
  validateUprobePath(path);
  const fileOffset = options.fileOffset === undefined ? undefined : toU64(options.fileOffset, 'fileOffset');
  const legacyOffset = options.offset === undefined ? undefined : toU64(options.offset, 'offset');
  if (fileOffset !== undefined && legacyOffset !== undefined && fileOffset !== legacyOffset) {
    throw new InvalidArgumentError('offset', 'differs from fileOffset (offset is its old name: give one of them)');
  }
  const offset = fileOffset ?? legacyOffset;
  if (offset === undefined) throw new InvalidArgumentError('fileOffset', 'a file offset is required');
  const refCtrOffset = toU64(options.refCtrOffset ?? 0, 'refCtrOffset');
  if (typeof ret !== 'boolean') throw new InvalidArgumentError('ret', 'expected a boolean');
  if (options.group !== undefined) validateGroupName(options.group);
  const name = sanitizeSymbol(options.symbol ?? `${basename(path)}_0x${offset.toString(16)}`);
  const token = uprobeToken(path, offset, refCtrOffset);
  // Longest possible command: kind, group and name at their limits.
  if (Buffer.byteLength(token) + 2 * MAX_NAME_CHARS + 4 > MAX_COMMAND_BYTES) {
    throw new InvalidArgumentError('path', `path is too long for a tracefs command (at most ${MAX_COMMAND_BYTES} bytes)`);
  }

  const root = options.tracefs ?? tracefsPath();
  if (!hasEventsFile(root, 'uprobe')) {
    throw new NotSupportedError('uprobe events', {
      missingConfig: 'CONFIG_UPROBE_EVENTS',
      detail: `${eventsFilePath(root, 'uprobe')} does not exist: the kernel has no uprobe events`,
    });
  }
  return newEvent({
    root,
    type: 'uprobe',
    group: options.group ?? randomGroup(),
    name,
    kind: ret ? 'r' : 'p',
    token,
  });
}
