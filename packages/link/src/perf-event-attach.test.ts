import { ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { probeAttachKind } from './features.js';
import { attachPerfEvent, onlineCPUs, PerfEventGroup } from './perf-event-attach.js';
import { PerfEventLink, type PerfAttach } from './perf-event.js';
import { checkLinkConformance } from './testing/conformance.js';
import { leakChecks } from './testing/suite.js';
import { attachCookieIn, cookieRecorder, counterMap, counting, readCounter } from './testing/counter.js';

const PERF = { type: ProgramType.PerfEvent } as const;
const CPU_CLOCK = { type: sys.PerfType.Software, config: 0 } as const;
/** 100 µs of CPU time between samples. */
const PERIOD = 100_000;

/** Burn CPU until `done()` (bounded, so a broken sampler fails the assertion after it instead of hanging). */
function spinUntil(done: () => boolean): void {
  const end = performance.now() + 30_000;
  let x = 0;
  while (!done() && performance.now() < end) for (let i = 0; i < 100_000; i++) x += i;
  expect(x).toBeGreaterThanOrEqual(0);
}

/** Burn about `ms` of CPU. */
function spinFor(ms: number): void {
  const end = performance.now() + ms;
  spinUntil(() => performance.now() >= end);
}

describe('attachPerfEvent on the real kernel', () => {
  const track = leakChecks();

  for (const perfAttach of ['perf_event+bpf_link', 'perf_event+ioctl'] as PerfAttach[]) {
    it(`${perfAttach}: a CPU-clock sampler on every CPU counts while the test spins, and stops after closeAsync`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, () => probeAttachKind('perf_event'));
      if (perfAttach === 'perf_event+bpf_link') await requireFeature(ctx, sys.haveBPFLinkPerfEvent);
      using map = counterMap();
      using prog = track(counting(map, PERF));
      const group = attachPerfEvent({ program: prog, ...CPU_CLOCK, samplePeriod: PERIOD, perfAttach });
      expect(group).toBeInstanceOf(PerfEventGroup);
      expect(group.links).toHaveLength(onlineCPUs().length);
      expect(group.mechanism).toBe(perfAttach);
      spinUntil(() => readCounter(map) >= 20n);
      expect(readCounter(map)).toBeGreaterThanOrEqual(20n);
      await group.closeAsync();
      expect(group.closed).toBe(true);
      expect(group.links.every((l) => l.closed)).toBe(true);
      const seen = readCounter(map);
      spinFor(50);
      expect(readCounter(map)).toBe(seen);
    });
  }

  it('one CPU by frequency, and this process only by PID', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('perf_event'));
    using map = counterMap(2);
    using onCpu = track(counting(map, PERF, { key: 0 }));
    using byPid = track(counting(map, PERF, { key: 1 }));
    using a = attachPerfEvent({ program: onCpu, ...CPU_CLOCK, sampleFrequency: 1000, cpu: onlineCPUs()[0]! });
    using b = attachPerfEvent({ program: byPid, ...CPU_CLOCK, samplePeriod: PERIOD, pid: process.pid });
    expect(a).not.toBeInstanceOf(PerfEventGroup);
    spinUntil(() => readCounter(map, 1) >= 10n);
    expect(readCounter(map, 1)).toBeGreaterThanOrEqual(10n);
    spinUntil(() => readCounter(map, 0) >= 1n);
    expect(readCounter(map, 0)).toBeGreaterThanOrEqual(1n);
    // The type may read as the clock's own PMU (newer kernels give the clocks PMUs of their own).
    if (a.fd >= 0 && a.info().perfEvent?.event) expect(a.info().perfEvent!.event!.config).toBe(0n);
    expect(b.closed).toBe(false);
  });

  it('the cookie is read back with bpf_get_attach_cookie', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveBPFLinkPerfEvent);
    await requireFeature(ctx, attachCookieIn(PERF));
    using map = counterMap();
    using prog = track(cookieRecorder(map, PERF));
    using link = attachPerfEvent({ program: prog, ...CPU_CLOCK, samplePeriod: PERIOD, pid: process.pid, cookie: 0xc10c_4n });
    spinUntil(() => readCounter(map) !== 0n);
    expect(readCounter(map)).toBe(0xc10c_4n);
    expect(link).toBeInstanceOf(PerfEventLink);
  });

  it('a single event passes the conformance checks; so does a group (which has no fd)', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('perf_event'));
    using map = counterMap();
    using prog = track(counting(map, PERF));
    await checkLinkConformance({
      program: prog,
      attach: () => attachPerfEvent({ program: prog, ...CPU_CLOCK, samplePeriod: PERIOD, pid: process.pid }),
      checkInfo: (info) => expect(info.type).toBe(sys.LinkType.PerfEvent),
    });
    await checkLinkConformance({ program: prog, attach: () => attachPerfEvent({ program: prog, ...CPU_CLOCK, samplePeriod: PERIOD }) });
  });

  it('bad input: typed errors before any syscall; a CPU that does not exist is the kernel error', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('perf_event'));
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, PERF));
    using tp = track(counting(map, { type: ProgramType.TracePoint }));
    const base = { program: prog, ...CPU_CLOCK, pid: process.pid };
    const bad: [string, object][] = [
      ['neither period nor frequency', { ...base }],
      ['both', { ...base, samplePeriod: 1, sampleFrequency: 1 }],
      ['zero period', { ...base, samplePeriod: 0 }],
      ['negative config', { ...base, config: -1, samplePeriod: 1 }],
      ['bad cpu', { ...base, samplePeriod: 1, cpu: -2 }],
      ['bad pid', { ...base, samplePeriod: 1, pid: 1.5 }],
      ['no cpu for all processes', { ...base, pid: -1, cpu: -1, samplePeriod: 1 }],
    ];
    for (const [name, opts] of bad) expect(thrown(() => attachPerfEvent(opts as never)), name).toBeInstanceOf(InvalidArgumentError);
    expect((thrown(() => attachPerfEvent({ ...base, program: tp, samplePeriod: 1 })) as Error).message).toMatch(/needs a PerfEvent program/);
    const noCpu = thrown(() => attachPerfEvent({ program: prog, ...CPU_CLOCK, samplePeriod: PERIOD, cpu: 4096 }));
    expect(noCpu).toBeInstanceOf(SyscallError);
    expect((noCpu as Error).message).toMatch(/on CPU 4096/);
    expect(leakedSince(before).filter((l) => !/bpf-map|bpf-prog/.test(l))).toEqual([]);
  });
});
