import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachRawLink, feature } from '@bpfkit/link';
import * as sys from '@bpfkit/sys';
import { counted, kind } from './kind.js';

const name = 'perf_event';
const PERF_COUNT_SW_TASK_CLOCK = 1;
/** One sample per millisecond of this thread's CPU time. */
const PERIOD_NS = 1_000_000;
const SPIN_MS = 5;

/** The perf event without a link (before 5.15): SET_BPF then ENABLE; closing the event detaches. */
function ioctlAttachment(perf: sys.FD, programFd: number) {
  sys.perfEventSetBpf(perf.fd, programFd);
  sys.perfEventEnable(perf.fd);
  return { mechanism: 'perf_event+ioctl', close: () => perf.close() };
}

/**
 * A software perf event sampling this thread's task clock, with the counting program run on each
 * sample. @bpfkit/link has no attach function for perf events of one's own; as with cilium, a
 * raw link of attach type PerfEvent on the perf event fd attaches it.
 */
export const perfEvent = kind({
  name,
  feature: name,
  needs: ['attachRawLink'],
  hook: "a software perf event sampling this thread's task clock every 1 ms; the demo spins the CPU",
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.PerfEvent });
    const perf = env.own(
      `${name} perf event`,
      sys.perfEventOpen({ type: sys.PerfType.Software, config: PERF_COUNT_SW_TASK_CLOCK, samplePeriod: PERIOD_NS }, process.pid, -1),
    );
    if (feature(name).mechanism === 'perf_event+ioctl') return counted(ioctlAttachment(perf, program.fd), map);
    const link = env.own(`${name} link`, attachRawLink({ target: perf.fd, program, attach: AttachType.PerfEvent }));
    return counted({ mechanism: 'perf_event+bpf_link', close: () => (link.close(), perf.close()) }, map);
  },
  trigger() {
    const until = performance.now() + SPIN_MS;
    while (performance.now() < until);
  },
});
