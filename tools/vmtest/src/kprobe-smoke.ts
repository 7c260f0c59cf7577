/**
 * The matrix's own proof that kprobes work where the host has none: a BPF_PROG_TYPE_KPROBE
 * program counting into an array map, attached to a perf event opened on the kprobe PMU, with a
 * BPF link where the kernel has perf links (5.15+) and PERF_EVENT_IOC_SET_BPF before that.
 * Written against @bpfkit/sys only, so it runs before @bpfkit/link exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  AttachType,
  type FD,
  MapType,
  NotSupportedError,
  PerfEvent,
  ProgType,
  SyscallError,
  linkCreate,
  mapCreate,
  mapLookupElem,
  perfEventEnable,
  perfEventOpen,
  perfEventSetBpf,
  progLoad,
} from '@bpfkit/sys';

const PMU_TYPE = '/sys/bus/event_source/devices/kprobe/type';
/** Bit 0 of the kprobe PMU's config: a return probe. */
const RETPROBE_BIT = 1n;

/** The kprobe PMU's perf type; NotSupportedError when the kernel has none. */
export function kprobePmuType(): number {
  if (existsSync(PMU_TYPE)) return Number(readFileSync(PMU_TYPE, 'utf8'));
  const events = ['/sys/kernel/tracing/kprobe_events', '/sys/kernel/debug/tracing/kprobe_events'].some((p) => existsSync(p));
  throw new NotSupportedError('kprobe PMU', events ? { minimumKernel: '4.17' } : { missingConfig: 'CONFIG_KPROBE_EVENTS' });
}

function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, code);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}

/** `*counter[0] += 1; return 0` over the u64 array map `mapFd`. */
function counterProgram(mapFd: number): Uint8Array {
  return new Uint8Array([
    ...insn(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
    ...insn(0xbf, 2, 10, 0, 0), // r2 = r10
    ...insn(0x07, 2, 0, 0, -4), // r2 += -4
    ...insn(0x18, 1, 1, 0, mapFd), // r1 = map (ld_imm64, BPF_PSEUDO_MAP_FD)
    ...insn(0x00, 0, 0, 0, 0),
    ...insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
    ...insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
    ...insn(0xb7, 1, 0, 0, 1), // r1 = 1
    ...insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
    ...insn(0xb7, 0, 0, 0, 0), // r0 = 0
    ...insn(0x95, 0, 0, 0, 0), // exit
  ]);
}

export interface KprobeCounter {
  /** Calls of the probed function counted so far. */
  count(): bigint;
  /** How the program was attached: a BPF link, or the perf event ioctl (kernels before 5.15). */
  readonly attachedBy: 'link' | 'ioctl';
  /** Closes the link, perf event and program; the counter stays readable. */
  detach(): void;
  /** Closes everything. */
  close(): void;
}

/** Attaches a counting program to `symbol` (its return with `ret`). Everything is closed on error. */
export function attachKprobeCounter(symbol: string, ret = false): KprobeCounter {
  const type = kprobePmuType();
  const owned: FD[] = [];
  const map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1, mapName: 'vmtest_count' });
  try {
    const prog = progLoad({ progType: ProgType.Kprobe, insns: counterProgram(map.fd), license: 'GPL', progName: 'vmtest_kprobe' });
    owned.push(prog);
    const name = new TextEncoder().encode(`${symbol}\0`);
    const event = perfEventOpen({ type, config: ret ? RETPROBE_BIT : 0n, config1: name, size: PerfEvent.AttrSizeVer1 }, -1, 0);
    owned.push(event);
    let attachedBy: 'link' | 'ioctl' = 'link';
    try {
      owned.push(linkCreate({ kind: 'perfEvent', progFd: prog.fd, targetFd: event.fd, attachType: AttachType.PerfEvent }));
    } catch (err) {
      // Perf-event links came in 5.15; older kernels answer EINVAL and attach by ioctl.
      if (!(err instanceof SyscallError) || err.code !== 'EINVAL') throw err;
      perfEventSetBpf(event.fd, prog.fd);
      perfEventEnable(event.fd);
      attachedBy = 'ioctl';
    }
    const value = new Uint8Array(8);
    return {
      attachedBy,
      count: () => (mapLookupElem(map.fd, new Uint8Array(4), value) ? new DataView(value.buffer).getBigUint64(0, true) : 0n),
      detach: () => owned.reverse().forEach((fd) => fd.close()),
      close: () => {
        owned.reverse().forEach((fd) => fd.close());
        map.close();
      },
    };
  } catch (err) {
    owned.reverse().forEach((fd) => fd.close());
    map.close();
    throw err;
  }
}
