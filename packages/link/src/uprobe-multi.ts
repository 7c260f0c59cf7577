import { Errno, InvalidArgumentError, isNotSupported, SyscallError } from '@bpfkit/errors';
import { ProgramType } from '@bpfkit/ebpf';
import type { FileOffsetInput } from '@bpfkit/elf';
import * as sys from '@bpfkit/sys';
import type { Executable, ProbeLocation } from './executable.js';
import { createLink, RawLink } from './link.js';
import { PerfEventGroup } from './perf-event-attach.js';
import { type ProgramRef, typedProgramFd } from './program-ref.js';
import { attachUprobe, type UprobeLink } from './uprobe.js';

const UPROBE_MULTI_RETURN = 1;

/** A Kprobe program attached to many locations in one file through one uprobe_multi link. */
export class UprobeMultiLink extends RawLink {
  protected override get label(): string {
    return 'uprobe_multi link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}

/**
 * One uprobe per location, standing in for a uprobe_multi link on kernels without one (before
 * 6.6): the uprobes are made and closed together (closeAsync() goes through closeAll).
 */
export class UprobeGroupLink extends PerfEventGroup {
  protected override get label(): string {
    return 'group of uprobes';
  }

  protected override get why(): string {
    return 'it holds one uprobe per location, standing in for uprobe_multi (see links)';
  }

  override toString(): string {
    return `UprobeGroupLink(${this.links.length} uprobes)`;
  }
}

/** What uprobeMulti returns: one uprobe_multi link, or (with `fallback: 'uprobes'` on older kernels) a group of uprobes. */
export type UprobeMultiResult = UprobeMultiLink | UprobeGroupLink;

/** cilium's UprobeMultiOptions. An empty array is the same as none. */
export interface UprobeMultiOptions {
  /** File offsets (cilium's Addresses); a non-zero entry replaces the lookup of the symbol at its index. */
  addresses?: readonly FileOffsetInput[];
  /** Bytes added to each location. */
  offsets?: readonly (number | bigint)[];
  /** File offsets of USDT semaphores, one per location (0 = none). */
  refCtrOffsets?: readonly FileOffsetInput[];
  /** One per location, read back with bpf_get_attach_cookie. */
  cookies?: readonly (number | bigint)[];
  /** Only events of this process (default: every process). */
  pid?: number;
  /** Where the kernel has no uprobe_multi (before 6.6), attach one uprobe per location instead of throwing NotSupportedError. */
  fallback?: 'uprobes';
}

function list<T>(v: readonly T[] | undefined, argument: string, what: string): readonly T[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new InvalidArgumentError(argument, `${what}: must be an array`);
  return v;
}

function sameLength(v: readonly unknown[], argument: string, n: number, what: string): void {
  if (v.length !== 0 && v.length !== n) throw new InvalidArgumentError(argument, `${what}: have ${v.length} ${argument} but want ${n}`);
}

/** The uprobe_multi pid: 0 (every process) or a process ID. */
export function multiPid(pid: unknown, what: string): number {
  const p = pid ?? 0;
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0 || p > 0x7fffffff) throw new InvalidArgumentError('pid', `${what}: ${String(p)} is not a process ID`);
  return p;
}

export interface MultiRequest {
  locations: ProbeLocation[];
  refCtrOffsets: readonly FileOffsetInput[];
  cookies: readonly (number | bigint)[];
  pid: number;
  fallback?: 'uprobes';
}

/** @internal The uprobe_multi attach of a resolved location list (shared with usdt). */
export function attachLocations(exe: Executable, program: ProgramRef, progFd: number, req: MultiRequest, ret: boolean, what: string): UprobeMultiResult {
  try {
    sys.haveUprobeMulti();
  } catch (err) {
    if (!isNotSupported(err) || req.fallback !== 'uprobes') throw err;
    return uprobeGroup(exe, program, req, ret);
  }
  try {
    const fd = createLink(
      {
        kind: 'uprobeMulti',
        progFd,
        attachType: sys.AttachType.TraceUprobeMulti,
        path: exe.path,
        offsets: req.locations.map((l) => l.offset),
        refCtrOffsets: req.refCtrOffsets.some((r) => BigInt(r) !== 0n) ? req.refCtrOffsets : undefined,
        cookies: req.cookies.length > 0 ? req.cookies : undefined,
        uprobeMultiFlags: ret ? UPROBE_MULTI_RETURN : 0,
        pid: req.pid,
      },
      `attach ${what}`,
    );
    return new UprobeMultiLink(fd);
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    if (err.errno === Errno.ESRCH) throw new SyscallError(err.syscall, err.errno, { context: `attach ${what}`, hint: `no process ${req.pid}`, cause: err });
    if (err.errno === Errno.EINVAL) {
      throw new SyscallError(err.syscall, err.errno, {
        context: `attach ${what}`,
        hint: 'an invalid pid, an offset that is not an instruction, or a program not loaded with AttachType.TraceUprobeMulti',
        cause: err,
      });
    }
    throw err;
  }
}

/** @internal One uprobe per location; exported for the tests of the fallback on kernels that have uprobe_multi. */
export function uprobeGroup(exe: Executable, program: ProgramRef, req: MultiRequest, ret: boolean): UprobeGroupLink {
  const links: UprobeLink[] = [];
  try {
    req.locations.forEach((loc, i) => {
      links.push(
        attachUprobe(exe, loc.symbol, program, { address: loc.offset, pid: req.pid || undefined, refCtrOffset: req.refCtrOffsets[i], cookie: req.cookies[i] }, ret),
      );
    });
  } catch (err) {
    for (const l of links) l.close();
    throw err;
  }
  return new UprobeGroupLink(links);
}

/** @internal Executable.uprobeMulti / uretprobeMulti. */
export function attachUprobeMulti(exe: Executable, symbols: readonly string[], program: unknown, opts: UprobeMultiOptions | undefined, ret: boolean): UprobeMultiResult {
  const what = `${ret ? 'uretprobe_multi' : 'uprobe_multi'} on ${exe.path}`;
  const progFd = typedProgramFd(program, `attach ${what}`, { Kprobe: ProgramType.Kprobe });
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new InvalidArgumentError('options', `${what}: must be an object`);
  const o = opts ?? {};
  const syms = list(symbols, 'symbols', what);
  const addresses = list(o.addresses, 'addresses', what);
  const offsets = list(o.offsets, 'offsets', what);
  const refCtrOffsets = list(o.refCtrOffsets, 'refCtrOffsets', what);
  const cookies = list(o.cookies, 'cookies', what);
  const n = syms.length || addresses.length;
  if (n === 0) throw new InvalidArgumentError('symbols', `${what}: neither symbols nor addresses given`);
  sameLength(syms, 'symbols', n, what);
  sameLength(addresses, 'addresses', n, what);
  sameLength(offsets, 'offsets', n, what);
  sameLength(refCtrOffsets, 'refCtrOffsets', n, what);
  sameLength(cookies, 'cookies', n, what);
  const pid = multiPid(o.pid, what);
  if (o.fallback !== undefined && o.fallback !== 'uprobes') throw new InvalidArgumentError('fallback', `${what}: only 'uprobes' is a fallback`);
  if (syms.some((s) => typeof s !== 'string')) throw new InvalidArgumentError('symbols', `${what}: every symbol must be a string`);
  const locations = exe.locations(syms, addresses.length > 0 ? addresses : undefined, offsets.length > 0 ? offsets : undefined);
  return attachLocations(exe, program as ProgramRef, progFd, { locations, refCtrOffsets, cookies, pid, fallback: o.fallback }, ret, what);
}
