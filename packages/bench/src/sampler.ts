import type { RoundSamples } from './stats.js';

/** How one batch is taken, on both sides: `warmup` untimed iterations, then `samples` samples of `batch` iterations each. */
export interface Plan {
  samples: number;
  batch: number;
  warmup: number;
}

/**
 * One iteration. `attach` returns what `detach` undoes; the clock is read between the two, as the
 * C side does, so the attach part can be reported. Cases without two halves only have `attach`.
 */
export interface Cycle<T = unknown> {
  attach(): T;
  detach?(handle: T): void;
}

const nowNs = (): number => performance.now() * 1e6;

/** Runs the plan in this process (the TS side of a round). */
export function sampleCycle<T>(cycle: Cycle<T>, plan: Plan): RoundSamples {
  const one = (): number => {
    const t0 = nowNs();
    const handle = cycle.attach();
    const t1 = nowNs();
    cycle.detach?.(handle);
    return t1 - t0;
  };
  for (let i = 0; i < Math.max(1, plan.warmup); i++) one();
  const out: RoundSamples = { cycle: [], attach: [] };
  const cpu0 = process.cpuUsage();
  for (let s = 0; s < plan.samples; s++) {
    let attach = 0;
    const t0 = nowNs();
    for (let i = 0; i < plan.batch; i++) attach += one();
    const t = nowNs() - t0;
    out.cycle.push(t / plan.batch);
    out.attach.push(cycle.detach ? attach / plan.batch : 0);
  }
  // Every thread of the process (GC and the thread pool included), as getrusage(RUSAGE_SELF) on the C side.
  const cpu = process.cpuUsage(cpu0);
  out.cpu = ((cpu.user + cpu.system) * 1000) / (plan.samples * plan.batch);
  return out;
}
