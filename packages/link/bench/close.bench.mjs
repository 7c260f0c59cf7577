// Figures, not assertions: how long the event loop stalls while 100 tracepoint links close,
// closed one by one with close() (the kernel's RCU grace periods on the main thread) or with
// closeAll() (closeAsync on the thread pool). Run as root after `pnpm build`.
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { counterProgram, Map as BpfMap, MapType, Program, ProgramType } from '@bpfkit/ebpf';
import { tracefsPath } from '@bpfkit/tracefs';
import { closeAll, tracepoint } from '../dist/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const COUNT = 100;

const names = readdirSync(`${tracefsPath()}/events/syscalls`).filter((n) => n.startsWith('sys_enter_')).sort().slice(0, COUNT);
const map = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
const prog = Program.load({ type: ProgramType.TracePoint, license: 'GPL', instructions: counterProgram(map) });

async function measure(label, close) {
  const stalls = [];
  const totals = [];
  for (let run = 0; run < RUNS; run++) {
    const links = names.map((n) => tracepoint('syscalls', n, prog));
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    // Let the monitor's timer start before closing.
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await close(links);
    totals.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
    h.disable();
    stalls.push(h.max / 1e6);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${label.padEnd(34)} close ${median(totals).toFixed(1).padStart(7)} ms   longest event-loop stall ${median(stalls).toFixed(1).padStart(7)} ms (medians of ${RUNS})`);
}

console.log(`@bpfkit/link: closing ${names.length} tracepoint links (node ${process.version})`);
try {
  await measure('close() one by one', async (links) => {
    for (const l of links) l.close();
  });
  await measure('closeAll() (thread pool)', (links) => closeAll(links));
} finally {
  prog.close();
  map.close();
}
