// Ring buffer and perf event array readers under load: a child process makes N getppid(2) calls,
// a tracepoint program writes one 16-byte event each, and this process reads them with
// `for await`. Reports throughput and the event loop's delay (monitorEventLoopDelay) while reading.
// Needs clang-19 and libbpf-dev (scripts/setup.sh). Run after building: node bench/ringbuf.bench.mjs [events]
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as sys from '@bpfkit/sys';
import { loadCollection, loadCollectionSpec, PerfReader, RingBuffer } from '../dist/index.js';

const N = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'bpfkit-bench-'));
const source = new URL('../src/testing/bpf/events.bpf.c', import.meta.url).pathname;
const arch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
execFileSync('clang-19', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${arch}`, '-c', source, '-o', join(dir, 'events.o')]);
const object = readFileSync(join(dir, 'events.o'));
rmSync(dir, { recursive: true });

function attach(program) {
  const id = Number(readFileSync('/sys/kernel/tracing/events/syscalls/sys_enter_getppid/id', 'utf8'));
  const fd = sys.perfEventOpen({ type: sys.PerfType.Tracepoint, size: sys.PerfEvent.AttrSizeVer1, config: id, samplePeriod: 1, wakeupEvents: 1 }, 0, -1);
  sys.perfEventSetBpf(fd.fd, program.fd);
  sys.perfEventEnable(fd.fd);
  return fd;
}

async function run(name, program, open, count) {
  const child = spawn(process.execPath, ['-e', `process.stdin.once('data', () => { for (let i = 0; i < ${N}; i++) process.ppid; process.exit(0); }); process.stdout.write('ready');`], { stdio: ['pipe', 'pipe', 'inherit'] });
  await once(child.stdout, 'data');
  const spec = loadCollectionSpec(object);
  spec.variables.target_tgid.set(child.pid);
  const coll = loadCollection(spec, { programs: [program] });
  const reader = open(coll);
  const tp = attach(coll.programs[program]);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const t0 = process.hrtime.bigint();
  child.stdin.write('go');
  let seen = 0;
  for await (const record of reader) if ((seen += count(record)) >= N) break;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  delay.disable();
  tp.close();
  reader.close();
  coll.close();
  console.log(
    `${name}: ${seen} events in ${ms.toFixed(0)} ms (${Math.round(seen / (ms / 1000)).toLocaleString()}/s); ` +
      `event loop delay p50 ${(delay.percentile(50) / 1e6).toFixed(2)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(2)} ms, max ${(delay.max / 1e6).toFixed(2)} ms`,
  );
}

await run('ring buffer', 'to_ring', (c) => new RingBuffer(c.maps.ring), () => 1);
await run('perf event array', 'to_perf', (c) => new PerfReader(c.maps.perf, { perCPUBuffer: 8 << 20 }), (r) => (r.lostSamples || 1));
