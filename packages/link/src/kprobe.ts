import { ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, isNotExist, NotSupportedError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { createKprobeEvent, randomGroup, type ProbeEvent } from '@bpfkit/tracefs';
import { checkName, u64Option } from './arguments.js';
import { kernelSymbol } from './kallsyms.js';
import { attachToPerfEvent, openPMUProbe, openTracepointPerfEvent, type AnyPerfEventLink, type PerfAttach } from './perf-event.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';

export interface KprobeOptions {
  /** Read back by the program with bpf_get_attach_cookie (needs perf event links, 5.15). */
  cookie?: number | bigint;
  /** Byte offset into the function; it must stay inside the symbol. */
  offset?: number | bigint;
  /** kretprobe instances that may run at once (at most 4096); creates the probe through tracefs. */
  retprobeMaxActive?: number;
  /** The tracefs group prefix (default 'bpfkit'); only used when the probe goes through tracefs. */
  traceFSPrefix?: string;
  /** Where to create the probe: the perf kprobe PMU (4.17+) or tracefs. Default: the PMU, else tracefs. */
  via?: 'pmu' | 'tracefs';
  /** Force one way of attaching to the perf event (default: a perf link where the kernel has them). */
  perfAttach?: PerfAttach;
}

/** `[A-Za-z_]` then `[A-Za-z0-9_.]`: compiler suffixes such as `.isra.0` are part of kernel symbols. */
const SYMBOL = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const MAX_ACTIVE = 4096;

/** The prefix syscall entry points carry on this architecture (`__x64_`, `__arm64_`), '' where there is none. */
function platformPrefix(): string {
  switch (process.arch) {
    case 'x64':
      return '__x64_';
    case 'arm64':
      return '__arm64_';
    default:
      return '';
  }
}

/**
 * The kernel symbol of syscall `name`'s entry point on this architecture: `syscallWrapper('getpid')`
 * is `__x64_sys_getpid` on x86-64 (for kprobeMulti, which does not retry with the prefix).
 */
export function syscallWrapper(name: string): string {
  checkName(name, 'syscall wrapper', 'name');
  const bare = name.startsWith('sys_') ? name : `sys_${name}`;
  return `${platformPrefix()}${bare}`;
}

/** A not-found answer: ENOENT, a SymbolNotFoundError, or EINVAL (tracefs on 6.11+ and kretprobes on 5.10 say that). */
const retryable = (err: unknown): boolean => isNotExist(err) || (err instanceof SyscallError && err.code === 'EINVAL');

/** `create(symbol)`, then once more with the syscall prefix when the symbol was not found. */
function withPrefixRetry<T>(symbol: string, create: (symbol: string) => T): T {
  try {
    return create(symbol);
  } catch (err) {
    const prefix = platformPrefix();
    if (!prefix || !retryable(err)) throw err;
    return create(prefix + symbol);
  }
}

function checkOffset(symbol: string, offset: bigint, what: string): void {
  if (offset === 0n) return;
  const sym = kernelSymbol(symbol) ?? kernelSymbol(platformPrefix() + symbol);
  if (sym === undefined) throw new SymbolNotFoundError(symbol, { path: '/proc/kallsyms', detail: `${what}: no such kernel symbol` });
  if (sym !== null && sym.size !== undefined && offset >= sym.size) {
    throw new InvalidArgumentError('offset', `${what}: offset 0x${offset.toString(16)} is past the end of ${symbol} (0x${sym.size.toString(16)} bytes)`);
  }
}

function openProbe(symbol: string, program: ProgramRef, ret: boolean, opts: KprobeOptions): AnyPerfEventLink {
  const kind = ret ? 'kretprobe' : 'kprobe';
  const what = `${kind} ${symbol}`;
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', `attach ${what}: options must be an object`);
  checkName(symbol, `attach ${kind}`, 'symbol');
  if (!SYMBOL.test(symbol)) throw new InvalidArgumentError('symbol', `attach ${what}: symbol '${symbol}' must be a valid symbol in /proc/kallsyms`);
  const progFd = typedProgramFd(program, `attach ${what}`, { Kprobe: ProgramType.Kprobe });
  const cookie = u64Option(opts.cookie, `attach ${what}`);
  const offset = u64Option(opts.offset, `attach ${what}`, 'offset') ?? 0n;
  const maxActive = opts.retprobeMaxActive ?? 0;
  if (!Number.isSafeInteger(maxActive) || maxActive < 0 || maxActive > MAX_ACTIVE) {
    throw new InvalidArgumentError('retprobeMaxActive', `attach ${what}: ${maxActive} is not an integer in 0..${MAX_ACTIVE}`);
  }
  if (maxActive > 0 && !ret) throw new InvalidArgumentError('retprobeMaxActive', `attach ${what}: only kretprobes take a maxactive`);
  if (opts.via !== undefined && opts.via !== 'pmu' && opts.via !== 'tracefs') throw new InvalidArgumentError('via', `attach ${what}: via must be 'pmu' or 'tracefs'`);
  if (maxActive > 0 && opts.via === 'pmu') throw new InvalidArgumentError('via', `attach ${what}: the kprobe PMU takes no maxactive; it needs tracefs`);
  if (opts.traceFSPrefix !== undefined) randomGroup(opts.traceFSPrefix);
  sys.haveKprobes();
  checkOffset(symbol, offset, `attach ${what}`);

  let perfEvent: sys.FD | undefined;
  let event: ProbeEvent | undefined;
  if (opts.via !== 'tracefs' && maxActive === 0) {
    try {
      perfEvent = withPrefixRetry(symbol, (s) => openPMUProbe({ pmu: 'kprobe', target: s, offset, ret }));
    } catch (err) {
      // Only a missing PMU (or one that refuses dotted names) falls back to tracefs.
      if (!(err instanceof NotSupportedError) || opts.via === 'pmu') throw contextOf(err, `attach ${what} through the perf kprobe PMU`);
    }
  }
  if (!perfEvent) {
    try {
      event = withPrefixRetry(symbol, (s) =>
        createKprobeEvent({ symbol: s, offset, ret, maxActive, ...(opts.traceFSPrefix ? { group: randomGroup(opts.traceFSPrefix) } : {}) }),
      );
    } catch (err) {
      throw contextOf(err, `attach ${what} through tracefs`);
    }
    try {
      perfEvent = openTracepointPerfEvent(event.id);
    } catch (err) {
      event.close();
      throw contextOf(err, `attach ${what}`);
    }
  }
  return attachToPerfEvent({ progFd, perfEvent, event, cookie, what, perfAttach: opts.perfAttach });
}

function contextOf(err: unknown, context: string): unknown {
  return err instanceof SyscallError ? err.withContext(context) : err;
}

/**
 * Attach a Kprobe program to the entry of kernel function `symbol` (or `offset` bytes into it):
 * the perf kprobe PMU where there is one, else a tracefs kprobe event; a syscall name such as
 * `sys_getpid` is retried with the architecture's prefix (`__x64_sys_getpid`). A missing symbol
 * gives ENOENT or EINVAL (the kernel's answer, never relabelled).
 */
export function kprobe(symbol: string, program: ProgramRef, opts: KprobeOptions = {}): AnyPerfEventLink {
  return openProbe(symbol, program, false, opts);
}

/** Like kprobe(), at the function's return. `retprobeMaxActive` makes it a tracefs probe. */
export function kretprobe(symbol: string, program: ProgramRef, opts: KprobeOptions = {}): AnyPerfEventLink {
  return openProbe(symbol, program, true, opts);
}
