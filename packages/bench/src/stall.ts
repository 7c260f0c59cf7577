import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Program, ProgramType } from '@bpfkit/ebpf';
import { NotSupportedError } from '@bpfkit/errors';
import { closeAll, type Link } from '@bpfkit/link';
import { ret, type BenchEnv } from './env.js';
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
export async function measureStall(env: BenchEnv, tracepoints: { group: string; name: string }[], n = 100): Promise<StallResult> {
  // A tracepoint takes at most 64 programs (BPF_TRACE_MAX_PROGS): the links are spread over several.
  const per = Math.ceil(n / tracepoints.length);
  if (per > 64) throw new NotSupportedError(`${n} links on ${tracepoints.length} tracepoints`, { detail: 'a tracepoint takes at most 64 programs' });
  const result: StallResult = { links: n, tracepoint: tracepoints.map((t) => `${t.group}/${t.name}`).join(' + '), variants: [], targetNs: TARGET_NS };
  const attach = landing('tracepoint');
  if (!attach) return { ...result, missing: 'not built yet: @bpfkit/link has no tracepoint() on this branch' };
  // One program per link: a tracepoint keeps one program array, and the same program twice is EEXIST.
  const programs = Array.from({ length: n }, () => Program.load({ type: ProgramType.TracePoint, instructions: ret(0), license: 'GPL' }));
  env.defer(() => programs.forEach((p) => p.close()));
  const variants: [string, (links: Link[]) => Promise<void>][] = [
    ['close() in a loop', async (links) => links.forEach((l) => l.close())],
    ['closeAll()', (links) => closeAll(links)],
  ];
  const measure = async (label: string, run: () => Promise<void>): Promise<void> => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    await sleep(20);
    h.enable();
    await sleep(20);
    const t0 = performance.now();
    await run();
    const totalNs = (performance.now() - t0) * 1e6;
    await sleep(20);
    h.disable();
    result.variants.push({ label, totalNs, maxStallNs: h.max, p99StallNs: h.percentile(99) });
  };
  for (const [label, close] of variants) {
    const links = programs.map((program, i) => {
      const tp = tracepoints[Math.floor(i / per)]!;
      return attach(tp.group, tp.name, program);
    });
    await measure(label, () => close(links));
  }
  // The control: the same loop with nothing to close, as long as closeAll() took. What it shows is
  // the machine's own scheduling noise, not bpfkit's.
  await measure('control: idle loop, as long as closeAll()', () => sleep(result.variants[1]!.totalNs / 1e6));
  return result;
}
