import { ProgramType, type Program, usdtArgument } from '@bpfkit/ebpf';
import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { openExecutable, type Executable } from './executable.js';
import { UprobeGroupLink, UprobeMultiLink } from './uprobe-multi.js';
import { checkLinkConformance } from './testing/conformance.js';
import { counterMap, counting, readCounter } from './testing/counter.js';

import { adding, attachCookie, multiAttachType, runTarget, uprobeSuite, withTargets } from './testing/uprobe-target.js';

const N = 9;
/** DTRACE_PROBE2(app, tick, i, i * 3) for i in 0..N-1: the first argument sums to this, the second to three times it. */
const SUM_I = BigInt((N * (N - 1)) / 2);

describe('USDT probes on the real kernel', () => {
  const suite = uprobeSuite();
  const { track } = suite;
  const kprobe = () => ({ type: ProgramType.Kprobe, attachType: multiAttachType() });

  /** A program that adds USDT argument `index` of app:tick to the counter. */
  const argumentSum = (exe: Executable, map: Parameters<typeof adding>[0], index: number): Program => {
    const locations = exe.usdtProbes().filter((p) => p.provider === 'app' && p.name === 'tick');
    // One program serves every location only when they all keep the argument in the same place.
    expect(new Set(locations.map((p) => p.argumentSpec)).size).toBe(1);
    return track(adding(map, usdtArgument(locations[0]!.args, index, { ctx: 'r6', dst: 'r7' }), multiAttachType()));
  };

  it('usdtProbes lists app:tick with its semaphore and two 4-byte signed arguments', () => {
    using exe = openExecutable(suite.targets.pie);
    const [tick, ...more] = exe.usdtProbes();
    expect(more).toEqual([]);
    expect(tick).toMatchObject({ provider: 'app', name: 'tick' });
    expect(tick!.semaphoreOffset).toBeGreaterThan(0n);
    expect(tick!.args.map((a) => [a.size, a.signed])).toEqual([
      [4, true],
      [4, true],
    ]);
  });

  // -O2 keeps i * 3 in a register; -O0 keeps i on the stack (`-4@-4(%rbp)`): both operand kinds are read.
  for (const [build, index, form] of [
    ['pie', 1, /^%/],
    ['unoptimised', 0, /^-?\d+\(%[re][sb]p\)$/],
  ] as const) {
    it(`${build}: the probe fires only with its semaphore set; the program sums argument ${index + 1} with usdtArgument`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, sys.haveUprobes);
      await requireFeature(ctx, sys.haveRefCtrOffsetPMU);
      using exe = openExecutable(suite.targets[build]);
      expect(exe.usdtProbes()[0]!.args[index]!.location).toMatch(form);
      using map = counterMap();
      using sums = counterMap();
      using count = track(counting(map, kprobe()));
      using sum = argumentSum(exe, sums, index);
      const expected = index === 1 ? 3n * SUM_I : SUM_I;
      // A uprobe at the probe's nop without the semaphore sees nothing: the target skips the probe.
      using plain = track(counting(map, { type: ProgramType.Kprobe }));
      const ungated = exe.uprobe('', plain, { address: exe.usdtProbes()[0]!.locationOffset });
      runTarget(suite.targets[build], N);
      ungated.close();
      expect(readCounter(map)).toBe(0n);
      const a = exe.usdt('app', 'tick', count);
      const b = exe.usdt('app', 'tick', sum);
      expect(a).toBeInstanceOf(multiAttachType() ? UprobeMultiLink : UprobeGroupLink);
      runTarget(suite.targets[build], N);
      expect(readCounter(map)).toBe(BigInt(N));
      expect(readCounter(sums)).toBe(expected);
      a.close();
      b.close();
      runTarget(suite.targets[build], N);
      expect(readCounter(map)).toBe(BigInt(N));
      expect(readCounter(sums)).toBe(expected);
    });
  }

  it('the semaphore is raised in a running process while attached and cleared by close; pid keeps another process out', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    await requireFeature(ctx, sys.haveRefCtrOffsetPMU);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, kprobe()));
    await withTargets(suite.targets.pie, N, 2, async (mine, other) => {
      expect(await mine.semaphore()).toBe(0);
      const link = exe.usdt('app', 'tick', prog, { pid: mine.pid });
      expect(await mine.semaphore()).toBeGreaterThan(0);
      await mine.run();
      await other.run();
      expect(readCounter(map)).toBe(BigInt(N));
      link.close();
      expect(await mine.semaphore()).toBe(0);
      await mine.run();
      expect(readCounter(map)).toBe(BigInt(N));
    });
  });

  it('the cookie is read back with bpf_get_attach_cookie at every location', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    await requireFeature(ctx, sys.haveRefCtrOffsetPMU);
    await requireFeature(ctx, sys.haveBPFLinkPerfEvent);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(adding(map, attachCookie, multiAttachType()));
    using _ = exe.usdt('app', 'tick', prog, { cookie: 42 });
    runTarget(suite.targets.pie, N);
    expect(readCounter(map)).toBe(BigInt(42 * N));
  });

  it('passes the conformance checks', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    await requireFeature(ctx, sys.haveRefCtrOffsetPMU);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, kprobe()));
    const tick = exe.usdtProbes()[0]!;
    await checkLinkConformance({
      program: prog,
      attach: () => exe.usdt('app', 'tick', prog),
      checkInfo: (info) => {
        const offsets = info.uprobeMulti?.offsets();
        if (!offsets) return;
        expect(offsets).toEqual([{ offset: tick.locationOffset, cookie: 0n, refCtrOffset: tick.semaphoreOffset }]);
      },
    });
  });

  it('bad input gives typed errors that say what the file has', async (ctx) => {
    requireRoot(ctx);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, kprobe()));
    using socketFilter = counting(map, { type: ProgramType.SocketFilter });
    const before = openFds();
    const provider = thrown(() => exe.usdt('nope', 'tick', prog));
    expect(provider).toBeInstanceOf(SymbolNotFoundError);
    expect(String(provider)).toMatch(/no USDT provider nope \(providers: app\)/);
    const name = thrown(() => exe.usdt('app', 'tock', prog));
    expect(name).toBeInstanceOf(SymbolNotFoundError);
    expect(String(name)).toMatch(/provider app has no probe tock \(its probes: tick\)/);
    using bash = openExecutable('/bin/bash');
    expect(thrown(() => bash.usdt('app', 'tick', prog))).toBeInstanceOf(SymbolNotFoundError);
    expect(thrown(() => exe.usdt('', 'tick', prog))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.usdt('app', undefined as never, prog))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.usdt('app', 'tick', socketFilter))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.usdt('app', 'tick', prog, { pid: -3 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.usdt('app', 'tick', prog, { cookie: 1.5 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => usdtArgument(exe.usdtProbes()[0]!.args, 2))).toBeInstanceOf(InvalidArgumentError);
    expect(leakedSince(before)).toEqual([]);
  });
});
