import { AttrWriter } from './attr.js';
import { holding } from './bpf.js';
import { PerfEvent } from './constants.js';
import { FD } from './fd.js';
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
  /** The bitfield word: bit 0 disabled, bit 1 inherit, ... */
  flags?: number | bigint;
  wakeupEvents?: number;
  bpType?: number;
  /** kprobe_func / uprobe_path for PMU probes: an address, or a NUL-terminated string buffer. */
  config1?: number | bigint | Uint8Array;
  /** probe_offset / kprobe_addr. */
  config2?: number | bigint;
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
    .u64(40, a.flags, 'flags')
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
export function perfEventSetBpf(perfFd: number, progFd: number): void {
  ioctl(perfFd, PerfEvent.IocSetBpf, progFd);
}

export function perfEventEnable(perfFd: number): void {
  ioctl(perfFd, PerfEvent.IocEnable, 0);
}

export function perfEventDisable(perfFd: number): void {
  ioctl(perfFd, PerfEvent.IocDisable, 0);
}
