import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';
import { eventsFilePath, hasEventsFile } from './events-file.js';
import { sanitizeSymbol, validateGroupName } from './names.js';
import { randomGroup } from './owner.js';
import { tracefsPath } from './path.js';
import { newEvent, type ProbeEvent } from './probe-event.js';
import { toU64 } from './u64.js';

/** kprobes.h KRETPROBE_MAXACTIVE_MAX */
const MAX_ACTIVE_LIMIT = 4096;
/** KSYM_NAME_LEN, NUL included. */
const KSYM_NAME_LEN = 512;
/** `[module:]symbol`, where kernel symbols may carry compiler suffixes such as `.isra.0`. */
const KERNEL_SYMBOL = /^(?:[A-Za-z_][A-Za-z0-9_]*:)?[A-Za-z_][A-Za-z0-9_.]*$/;

export interface KprobeEventOptions {
  /** Kernel symbol, optionally `module:symbol`. */
  symbol: string;
  /** Byte offset into the function. */
  offset?: number | bigint;
  /** A return probe (kretprobe). */
  ret?: boolean;
  /** kretprobe instances that can run at once (`r<N>:`); only for return probes, at most 4096. */
  maxActive?: number;
  /** Default: randomGroup(), which names this process as the owner. */
  group?: string;
  /** The tracefs directory; default tracefsPath(). */
  tracefs?: string;
}

/** The kprobe place: `symbol`, or `symbol+0x<offset>`. */
export function kprobeToken(symbol: string, offset: number | bigint = 0): string {
  const off = toU64(offset, 'offset');
  return off === 0n ? symbol : `${symbol}+0x${off.toString(16)}`;
}

/**
 * Creates a kprobe or kretprobe event in <tracefs>/kprobe_events. Kernels without kprobe events
 * (no CONFIG_KPROBES or CONFIG_KPROBE_EVENTS) get NotSupportedError.
 */
export function createKprobeEvent(options: KprobeEventOptions): ProbeEvent {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'expected an object');
  const { symbol, ret = false, maxActive = 0 } = options;
  if (typeof symbol !== 'string' || symbol === '') throw new InvalidArgumentError('symbol', 'symbol name cannot be empty');
  if (symbol.length >= KSYM_NAME_LEN || !KERNEL_SYMBOL.test(symbol)) {
    throw new InvalidArgumentError('symbol', `symbol '${symbol}' must be a valid symbol in /proc/kallsyms`);
  }
  const offset = toU64(options.offset ?? 0, 'offset');
  if (typeof ret !== 'boolean') throw new InvalidArgumentError('ret', 'expected a boolean');
  if (!Number.isSafeInteger(maxActive) || maxActive < 0 || maxActive > MAX_ACTIVE_LIMIT) {
    throw new InvalidArgumentError('maxActive', `${maxActive} is not an integer in 0..${MAX_ACTIVE_LIMIT}`);
  }
  if (maxActive !== 0 && !ret) throw new InvalidArgumentError('maxActive', 'can only set maxactive on kretprobes');
  if (options.group !== undefined) validateGroupName(options.group);

  const root = options.tracefs ?? tracefsPath();
  if (!hasEventsFile(root, 'kprobe')) {
    throw new NotSupportedError('kprobe events', {
      missingConfig: 'CONFIG_KPROBES',
      detail: `${eventsFilePath(root, 'kprobe')} does not exist: the kernel has no kprobe events (CONFIG_KPROBES and CONFIG_KPROBE_EVENTS)`,
    });
  }
  const group = options.group ?? randomGroup();
  return newEvent({
    root,
    type: 'kprobe',
    group,
    name: sanitizeSymbol(symbol),
    kind: ret ? (maxActive > 0 ? `r${maxActive}` : 'r') : 'p',
    token: kprobeToken(symbol, offset),
    ...(maxActive > 0 ? { ignoredNameFallback: { group: 'kprobes', name: `r_${symbol}_${offset}` } } : {}),
  });
}
