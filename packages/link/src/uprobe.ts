import { InvalidArgumentError, isNotSupported, SyscallError } from '@bpfkit/errors';
import { ProgramType } from '@bpfkit/ebpf';
import type { FileOffsetInput } from '@bpfkit/elf';
import * as sys from '@bpfkit/sys';
import { createUprobeEvent, randomGroup, type ProbeEvent } from '@bpfkit/tracefs';
import type { Executable } from './executable.js';
import { type AnyPerfEventLink, attachToPerfEvent, openPMUProbe, openTracepointPerfEvent } from './perf-event.js';
import { typedProgramFd } from './program-ref.js';

/** cilium's UprobeOptions. File offsets and byte counts only: a virtual address is never accepted here. */
export interface UprobeOptions {
  /** File offset of the probed instruction (cilium's Address): the symbol table is not read. */
  address?: FileOffsetInput;
  /** Bytes added to the symbol's (or `address`'s) file offset; inside the symbol when it is looked up. */
  offset?: number | bigint;
  /** Only events of this process (default: every process). */
  pid?: number;
  /** File offset of a USDT semaphore the kernel increments while the probe exists (4.20). */
  refCtrOffset?: FileOffsetInput;
  /** Read back with bpf_get_attach_cookie (perf event links, 5.15). */
  cookie?: number | bigint;
  /** tracefs group prefix when the probe falls back to a tracefs event. */
  traceFSPrefix?: string;
}

/** A uprobe or uretprobe: a perf event with the program attached through a bpf_link or the ioctl. */
export type UprobeLink = AnyPerfEventLink;

/** How the probe is created: through the uprobe PMU when there is one, else a tracefs event. */
export type UprobeVia = 'pmu' | 'tracefs';

/** An optional u64 option (0 when absent), or InvalidArgumentError naming it. */
export function u64Option(v: unknown, argument: string, what: string): bigint {
  if (v === undefined) return 0n;
  if ((typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) && (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n)) {
    throw new InvalidArgumentError(argument, `${what}: ${String(v)} is not an unsigned 64-bit integer`);
  }
  return BigInt(v);
}

/** The perf_event_open pid: -1 for every process; other negative values go to the kernel (ESRCH), as cilium does. */
function perfPid(pid: unknown, what: string): number {
  if (pid === undefined || pid === 0) return -1;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid > 0x7fffffff || pid < -0x80000000) {
    throw new InvalidArgumentError('pid', `${what}: ${String(pid)} is not a process ID`);
  }
  return pid;
}

/**
 * Opens the probe's perf event: the PMU first, a tracefs event when there is no PMU (or `via`
 * says so). Returns the tracefs event too, which the link then owns.
 */
function openUprobe(
  exe: Executable,
  o: { symbol: string; offset: bigint; ret: boolean; refCtrOffset: bigint; pid: number; prefix?: string },
  via: UprobeVia | undefined,
): { perfEvent: sys.FD; event?: ProbeEvent } {
  if (via !== 'tracefs') {
    try {
      return { perfEvent: openPMUProbe({ pmu: 'uprobe', target: exe.path, offset: o.offset, ret: o.ret, refCtrOffset: o.refCtrOffset, pid: o.pid }) };
    } catch (err) {
      if (via === 'pmu' || !isNotSupported(err)) throw err;
    }
  }
  const event = createUprobeEvent({
    path: exe.path,
    offset: o.offset,
    refCtrOffset: o.refCtrOffset,
    ret: o.ret,
    symbol: o.symbol || undefined,
    group: o.prefix === undefined ? undefined : randomGroup(o.prefix),
  });
  try {
    return { perfEvent: openTracepointPerfEvent(event.id, o.pid), event };
  } catch (err) {
    event.close();
    throw err;
  }
}

/** @internal Executable.uprobe / uretprobe; `via` forces one way of creating the probe (tests). */
export function attachUprobe(exe: Executable, symbol: string, program: unknown, opts: UprobeOptions | undefined, ret: boolean, via?: UprobeVia): UprobeLink {
  const kind = ret ? 'uretprobe' : 'uprobe';
  const what = `${kind} ${exe.path}:${symbol || String(opts?.address)}`;
  const progFd = typedProgramFd(program, `attach ${what}`, { Kprobe: ProgramType.Kprobe });
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new InvalidArgumentError('options', `${what}: must be an object`);
  const o = opts ?? {};
  const pid = perfPid(o.pid, what);
  const refCtrOffset = u64Option(o.refCtrOffset, 'refCtrOffset', what);
  const cookie = u64Option(o.cookie, 'cookie', what);
  if (o.traceFSPrefix !== undefined && (typeof o.traceFSPrefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.traceFSPrefix))) {
    throw new InvalidArgumentError('traceFSPrefix', `${what}: '${String(o.traceFSPrefix)}' must be alphanumeric or underscore`);
  }
  if (symbol !== undefined && typeof symbol !== 'string') throw new InvalidArgumentError('symbol', `${what}: must be a string`);
  const at = exe.location(symbol ?? '', o.address, o.offset);
  if (refCtrOffset !== 0n) sys.haveRefCtrOffsetPMU();
  let opened: { perfEvent: sys.FD; event?: ProbeEvent };
  try {
    opened = openUprobe(exe, { symbol: at.symbol, offset: at.offset, ret, refCtrOffset, pid, prefix: o.traceFSPrefix }, via);
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext(`create ${what}`) : err;
  }
  return attachToPerfEvent({ progFd, perfEvent: opened.perfEvent, event: opened.event, cookie: cookie === 0n ? undefined : cookie, what });
}
