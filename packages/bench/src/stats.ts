/** Nearest-rank percentile (0..1) of an unsorted list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export const median = (xs: readonly number[]): number => percentile(xs, 0.5);

/** One side (TS or C) of a case over all rounds: samples are ns per iteration. */
export interface SideSummary {
  /** Median of the per-round medians. */
  median: number;
  /** p99 of all samples of all rounds. */
  p99: number;
  /** Per-round medians (their min–max is the spread). */
  rounds: number[];
  /** Median attach part of a cycle, where the case has one. */
  attach?: number;
  samples: number;
  /** A fresh process's first iteration (set-up included), median over rounds. */
  cold?: number;
  /** CPU time per iteration, median over rounds. */
  cpu?: number;
}

export interface RoundSamples {
  cycle: number[];
  attach: number[];
  cold?: number;
  /** user+system CPU time (ns) per timed iteration: what a cycle costs the CPU, grace-period waits excluded. */
  cpu?: number;
}

export function summarize(rounds: readonly RoundSamples[]): SideSummary {
  const medians = rounds.map((r) => median(r.cycle));
  const all = rounds.flatMap((r) => r.cycle);
  const attach = rounds.flatMap((r) => r.attach);
  const colds = rounds.flatMap((r) => (r.cold === undefined ? [] : [r.cold]));
  const cpus = rounds.flatMap((r) => (r.cpu === undefined ? [] : [r.cpu]));
  return {
    median: median(medians),
    p99: percentile(all, 0.99),
    rounds: medians,
    ...(attach.some((a) => a > 0) ? { attach: median(attach) } : {}),
    samples: all.length,
    ...(colds.length ? { cold: median(colds) } : {}),
    ...(cpus.length ? { cpu: median(cpus) } : {}),
  };
}

/** TS/C of each round (both measured back to back in that round), and their median. */
export function roundRatios(ts: SideSummary, c: SideSummary): { median: number; rounds: number[] } {
  const rounds = ts.rounds.map((t, i) => t / c.rounds[i]!);
  return { median: median(rounds), rounds };
}
