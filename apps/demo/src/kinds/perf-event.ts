import { ProgramType } from '@bpfkit/ebpf';
import { attachPerfEvent, PerfType } from '@bpfkit/link';
import { counted, kind } from './kind.js';

const name = 'perf_event';
const PERF_COUNT_SW_TASK_CLOCK = 1;
/** One sample per millisecond of this thread's CPU time. */
const PERIOD_NS = 1_000_000;
const SPIN_MS = 5;

export const perfEvent = kind({
  name,
  feature: name,
  needs: ['attachPerfEvent'],
  hook: "a software perf event sampling this thread's task clock every 1 ms; the demo spins the CPU",
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.PerfEvent });
    const link = attachPerfEvent({ program, type: PerfType.Software, config: PERF_COUNT_SW_TASK_CLOCK, samplePeriod: PERIOD_NS, pid: process.pid });
    return counted(env.own(`${name} link`, link), map);
  },
  trigger() {
    const until = performance.now() + SPIN_MS;
    while (performance.now() < until);
  },
});
