import { describe, expect, it } from 'vitest';
import { PerfReader } from './perf-reader.js';
import { decode, loadEvents, type Event } from './testing/events-program.js';
import { openFds } from '@bpfkit/testing';
import { getppidChild } from './testing/syscall-child.js';
import { attachTracepoint } from './testing/tracepoint.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('PerfReader', () => {
  it('reads every sample, in order per CPU, from another process', async () => {
    const N = 2000;
    const producer = await getppidChild(N);
    using coll = loadEvents('to_perf', producer.child.pid!);
    using reader = new PerfReader(coll.maps.perf!, { perCPUBuffer: 1 << 20 });
    using tp = attachTracepoint(coll.programs.to_perf!, 'syscalls', 'sys_enter_getppid');
    const done = producer.run();
    const got: { cpu: number; e: Event }[] = [];
    let lost = 0;
    for await (const r of reader) {
      if (r.lostSamples) lost += r.lostSamples;
      else got.push({ cpu: r.cpu, e: decode(r.rawSample) });
      if (got.length + lost === N) break;
    }
    await done;
    expect(lost).toBe(0);
    expect(got.map((g) => g.e.seq).sort((a, b) => a - b)).toEqual(range(N));
    for (const cpu of new Set(got.map((g) => g.cpu))) {
      const seqs = got.filter((g) => g.cpu === cpu).map((g) => g.e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(coll.variables.perf_fails!.getBigUint()).toBe(0n);
    void tp;
  });

  it('reports the samples a full ring lost', async () => {
    const N = 5000;
    using coll = loadEvents('to_perf', process.pid);
    using reader = new PerfReader(coll.maps.perf!, { perCPUBuffer: 4096 });
    let samples = 0;
    let lost = 0;
    const count = (records: { lostSamples: number }[]): void => {
      for (const r of records) {
        if (r.lostSamples) lost += r.lostSamples;
        else samples++;
      }
    };
    {
      using tp = attachTracepoint(coll.programs.to_perf!, 'syscalls', 'sys_enter_getppid');
      // Nobody reads while this thread fills the one-page ring of its CPU.
      for (let i = 0; i < N; i++) void process.ppid;
      count(reader.readAvailable());
      // The kernel writes the LOST record once there is room again, before the next sample.
      void process.ppid;
      void tp;
    }
    count(reader.readAvailable());
    const failed = Number(coll.variables.perf_fails!.getBigUint());
    expect(failed).toBeGreaterThan(0);
    expect(lost).toBe(failed);
    expect(samples + lost).toBe(N + 1);
  });

  it('close() removes the rings from the map and closes everything', async () => {
    using coll = loadEvents('to_perf', process.pid);
    const before = openFds();
    const reader = new PerfReader(coll.maps.perf!);
    const pending = reader.read();
    reader.close();
    expect(await pending).toBeUndefined();
    expect([...openFds().keys()].filter((fd) => !before.has(fd))).toEqual([]);
  });
});
