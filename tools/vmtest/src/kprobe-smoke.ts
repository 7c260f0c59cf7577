/**
 * The matrix's own proof that kprobes work where the host has none: a BPF_PROG_TYPE_KPROBE
 * program counting into an array map, attached to a perf event opened on the kprobe PMU, with a
 * BPF link where the kernel has perf links (5.15+) and PERF_EVENT_IOC_SET_BPF before that.
 * Written against @bpfkit/sys (and ebpf's instruction builder), so it runs before @bpfkit/link exists.
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
  haveKprobes,
  progLoad,
} from '@bpfkit/sys';
import { counterProgram, encode } from '@bpfkit/ebpf';

const PMU_TYPE = '/sys/bus/event_source/devices/kprobe/type';
/** Bit 0 of the kprobe PMU's config: a return probe. */
const RETPROBE_BIT = 1n;

/** The kprobe PMU's perf type; NotSupportedError when the kernel has no kprobes. */
export function kprobePmuType(): number {
  haveKprobes();
  if (!existsSync(PMU_TYPE)) throw new NotSupportedError('kprobe PMU', { minimumKernel: '4.17' });
  return Number(readFileSync(PMU_TYPE, 'utf8'));
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
    const prog = progLoad({ progType: ProgType.Kprobe, insns: encode(counterProgram(map)), license: 'GPL', progName: 'vmtest_kprobe' });
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
