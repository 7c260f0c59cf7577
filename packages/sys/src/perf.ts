import { InvalidArgumentError } from '@bpfkit/errors';
import { AttrWriter } from './attr.js';
import { holding } from './bpf.js';
import { PerfEvent } from './constants.js';
import { FD, fdOf, type FdLike } from './fd.js';
import { addressOf, ioctl, rawPerfEventOpen } from './libc.js';

/** `struct perf_event_attr` fields bpfkit uses (offsets from include/uapi/linux/perf_event.h). */
export interface PerfEventAttr {
  type: number;
  /** The size the kernel should read; 0 means PERF_ATTR_SIZE_VER0 (64). */
  size?: number;
  config?: number | bigint;
  samplePeriod?: number | bigint;
  sampleType?: number | bigint;
  readFormat?: number | bigint;
  /** The bitfield word as a raw number; `bits` names the same bits (both given: OR-ed). */
  flags?: number | bigint;
  /** The bitfield word by name. */
  bits?: PerfEventBits;
  wakeupEvents?: number;
  bpType?: number;
  /** kprobe_func / uprobe_path for PMU probes: an address, or a NUL-terminated string buffer. */
  config1?: number | bigint | Uint8Array;
  /** probe_offset / kprobe_addr. */
  config2?: number | bigint;
}

/** The bit of each named flag in perf_event_attr's bitfield word (include/uapi/linux/perf_event.h). */
export const PerfEventBit = {
  disabled: 0,
  inherit: 1,
  pinned: 2,
  exclusive: 3,
  excludeUser: 4,
  excludeKernel: 5,
  excludeHv: 6,
  excludeIdle: 7,
  mmap: 8,
  comm: 9,
  /** sample_freq instead of sample_period. */
  freq: 10,
  inheritStat: 11,
  enableOnExec: 12,
  task: 13,
  /** wakeup_watermark instead of wakeup_events. */
  watermark: 14,
  mmapData: 17,
  sampleIdAll: 18,
  excludeHost: 19,
  excludeGuest: 20,
  excludeCallchainKernel: 21,
  excludeCallchainUser: 22,
  mmap2: 23,
  commExec: 24,
  useClockid: 25,
  contextSwitch: 26,
  writeBackward: 27,
  namespaces: 28,
  ksymbol: 29,
  bpfEvent: 30,
  auxOutput: 31,
  cgroup: 32,
  textPoke: 33,
  buildId: 34,
  inheritThread: 35,
  removeOnExec: 36,
  sigtrap: 37,
} as const;

/** The named one-bit flags, plus precise_ip (bits 15-16, 0 to 3). */
export type PerfEventBits = { [K in keyof typeof PerfEventBit]?: boolean } & { preciseIp?: 0 | 1 | 2 | 3 };

/** The bitfield word for `bits` (OR-ed with a raw `flags`). */
export function perfEventFlags(bits: PerfEventBits = {}, flags: number | bigint = 0): bigint {
  let word = BigInt(flags);
  for (const [name, bit] of Object.entries(PerfEventBit)) {
    if (bits[name as keyof typeof PerfEventBit]) word |= 1n << BigInt(bit);
  }
  const precise = bits.preciseIp ?? 0;
  if (!Number.isInteger(precise) || precise < 0 || precise > 3) throw new InvalidArgumentError('bits.preciseIp', `${precise} is not 0, 1, 2 or 3`);
  return word | (BigInt(precise) << 15n);
}

/** The buffer size bpfkit sends (PERF_ATTR_SIZE_VER8); the kernel reads `size` bytes of it. */
export const PERF_EVENT_ATTR_BUFFER_SIZE = 136;

export function encodePerfEventAttr(a: PerfEventAttr): Uint8Array {
  const config1 = a.config1 instanceof Uint8Array ? addressOf(a.config1) : a.config1;
  return new AttrWriter(PERF_EVENT_ATTR_BUFFER_SIZE)
    .u32(0, a.type, 'type')
    .u32(4, a.size, 'size')
    .u64(8, a.config, 'config')
    .u64(16, a.samplePeriod, 'samplePeriod')
    .u64(24, a.sampleType, 'sampleType')
    .u64(32, a.readFormat, 'readFormat')
    .u64(40, a.bits === undefined ? a.flags : perfEventFlags(a.bits, a.flags ?? 0), 'flags')
    .u32(48, a.wakeupEvents, 'wakeupEvents')
    .u32(52, a.bpType, 'bpType')
    .u64(56, config1, 'config1')
    .u64(64, a.config2, 'config2').bytes;
}

/**
 * perf_event_open(2). `attr` is an encoded attr, or the fields to encode (a `config1` string
 * buffer is kept alive for the call). flags default to PERF_FLAG_FD_CLOEXEC.
 */
export function perfEventOpen(
  attr: Uint8Array | PerfEventAttr,
  pid: number,
  cpu: number,
  groupFd = -1,
  flags: number = PerfEvent.FlagFdCloexec,
): FD {
  const encoded = attr instanceof Uint8Array ? attr : encodePerfEventAttr(attr);
  const keep = attr instanceof Uint8Array ? [] : [attr.config1];
  return new FD(holding(keep, () => rawPerfEventOpen(encoded, pid, cpu, groupFd, flags)), 'perf_event');
}

/** PERF_EVENT_IOC_SET_BPF: run `progFd` on every event of `perfFd`. */
export function perfEventSetBpf(perfFd: FdLike, progFd: FdLike): void {
  ioctl(fdOf(perfFd, 'perfFd'), PerfEvent.IocSetBpf, fdOf(progFd, 'progFd'));
}

export function perfEventEnable(perfFd: FdLike): void {
  ioctl(fdOf(perfFd, 'perfFd'), PerfEvent.IocEnable, 0);
}

export function perfEventDisable(perfFd: FdLike): void {
  ioctl(fdOf(perfFd, 'perfFd'), PerfEvent.IocDisable, 0);
}
