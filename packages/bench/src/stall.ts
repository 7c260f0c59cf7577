import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProgramType } from '@bpfkit/ebpf';
import { closeAll, type Link } from '@bpfkit/link';
import type { BenchEnv } from './env.js';
import { landing } from './link-api.js';

export interface StallResult {
  links: number;
  tracepoint: string;
  variants: { label: string; totalNs: number; maxStallNs: number; p99StallNs: number }[];
  /** closeAll's worst stall must stay at or under this. */
  targetNs: number;
  missing?: string;
}

const TARGET_NS = 5e6;

/**
 * The event-loop stall while closing `n` tracepoint perf-event links: each close waits for an RCU
 * grace period (~75 ms here), so a close() loop blocks the loop for all of them; closeAll() runs
 * them on the thread pool. monitorEventLoopDelay samples the loop every millisecond.
 */
export async function measureStall(env: BenchEnv, tracepoint: { group: string; name: string }, n = 100): Promise<StallResult> {
  const result: StallResult = { links: n, tracepoint: `${tracepoint.group}/${tracepoint.name}`, variants: [], targetNs: TARGET_NS };
  const attach = landing('tracepoint');
  if (!attach) return { ...result, missing: 'not built yet: @bpfkit/link has no tracepoint() on this branch' };
  const program = env.program(ProgramType.TracePoint, 0);
  const variants: [string, (links: Link[]) => Promise<void>][] = [
    ['close() in a loop', async (links) => links.forEach((l) => l.close())],
    ['closeAll()', (links) => closeAll(links)],
  ];
  for (const [label, close] of variants) {
    const links = Array.from({ length: n }, () => attach(tracepoint.group, tracepoint.name, program));
    const h = monitorEventLoopDelay({ resolution: 1 });
    await sleep(20);
    h.enable();
    await sleep(20);
    const t0 = performance.now();
    await close(links);
    const totalNs = (performance.now() - t0) * 1e6;
    await sleep(20);
    h.disable();
    result.variants.push({ label, totalNs, maxStallNs: h.max, p99StallNs: h.percentile(99) });
  }
  return result;
}
