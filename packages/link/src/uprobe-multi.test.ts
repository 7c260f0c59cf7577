import { spawnSync } from 'node:child_process';
import { ProgramType } from '@bpfkit/ebpf';
import { ElfFile } from '@bpfkit/elf';
import { InvalidArgumentError, isNotSupported, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { openExecutable } from './executable.js';
import { UprobeGroupLink, UprobeMultiLink, uprobeGroup } from './uprobe-multi.js';
import { checkLinkConformance } from './testing/conformance.js';
import { counterMap, counting, readCounter } from './testing/counter.js';

import { adding, attachCookie, multiAttachType, runTarget, uprobeSuite, withTargets } from './testing/uprobe-target.js';

const N = 5;
const FUNCS = ['bpfkit_one', 'bpfkit_two', 'bpfkit_three'];
const BASH = ['main', '_start', 'check_dev_tty'];

describe('uprobe_multi on the real kernel', () => {
  const suite = uprobeSuite();
  const { track } = suite;
  const multi = () => ({ type: ProgramType.Kprobe, attachType: multiAttachType() });

  for (const ret of [false, true]) {
    it(`${ret ? 'uretprobeMulti' : 'uprobeMulti'} over three functions counts the sum of their calls; nothing after close`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, sys.haveUprobeMulti);
      using exe = openExecutable(suite.targets.noPie);
      using map = counterMap();
      using prog = track(counting(map, multi()));
      const link = ret ? exe.uretprobeMulti(FUNCS, prog) : exe.uprobeMulti(FUNCS, prog);
      expect(link).toBeInstanceOf(UprobeMultiLink);
      expect(link.mechanism).toBe('bpf_link');
      runTarget(suite.targets.noPie, N);
      expect(readCounter(map)).toBe(BigInt(3 * N));
      link.close();
      runTarget(suite.targets.noPie, N);
      expect(readCounter(map)).toBe(BigInt(3 * N));
    });
  }

  it('cookies, one per location, are read back with bpf_get_attach_cookie', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobeMulti);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(adding(map, attachCookie, multiAttachType()));
    using _ = exe.uprobeMulti(FUNCS, prog, { cookies: [1, 10, 100] });
    runTarget(suite.targets.pie, N);
    expect(readCounter(map)).toBe(BigInt(111 * N));
  });

  it('pid: only the given process counts', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobeMulti);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, multi()));
    await withTargets(suite.targets.pie, N, 2, async (mine, other) => {
      using _ = exe.uprobeMulti(FUNCS, prog, { pid: mine.pid });
      await other.run();
      await mine.run();
      await other.run();
      expect(readCounter(map)).toBe(BigInt(3 * N));
    });
  });

  it('refCtrOffsets: the semaphore is raised while the link exists and dropped after close', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobeMulti);
    using elf = ElfFile.open(suite.targets.pie);
    const tick = elf.usdtProbes().find((p) => p.name === 'tick')!;
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, multi()));
    await withTargets(suite.targets.pie, N, 1, async (t) => {
      const link = exe.uprobeMulti([], prog, { addresses: [tick.locationOffset], refCtrOffsets: [tick.semaphoreOffset!] });
      expect(await t.semaphore()).toBeGreaterThan(0);
      await t.run();
      expect(readCounter(map)).toBe(BigInt(N));
      link.close();
      expect(await t.semaphore()).toBe(0);
    });
  });

  it("/bin/bash main, _start, check_dev_tty: entry counts >= 3 and return counts >= 1 for `bash --help` (cilium's suite)", async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobeMulti);
    using bash = openExecutable('/bin/bash');
    using map = counterMap(2);
    using entry = track(counting(map, multi(), { key: 0 }));
    using exit = track(counting(map, multi(), { key: 1 }));
    const a = bash.uprobeMulti(BASH, entry);
    const b = bash.uretprobeMulti(BASH, exit);
    spawnSync('/bin/bash', ['--help'], { stdio: 'ignore' });
    a.close();
    b.close();
    // Only check_dev_tty returns: bash leaves main through exit().
    expect(readCounter(map, 0)).toBeGreaterThanOrEqual(3n);
    expect(readCounter(map, 1)).toBeGreaterThanOrEqual(1n);
  });

  for (const ret of [false, true]) {
    it(`${ret ? 'uretprobeMulti' : 'uprobeMulti'} passes the conformance checks; info's offsets map back to the symbols`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, sys.haveUprobeMulti);
      using exe = openExecutable(suite.targets.pie);
      using map = counterMap();
      using prog = track(counting(map, multi()));
      await checkLinkConformance({
        program: prog,
        attach: () => (ret ? exe.uretprobeMulti(FUNCS, prog, { cookies: [1, 2, 3] }) : exe.uprobeMulti(FUNCS, prog, { cookies: [1, 2, 3] })),
        checkInfo: (info) => {
          expect(info.type).toBe(sys.LinkType.UprobeMulti);
          const u = info.uprobeMulti;
          if (!u) return; // uprobe_multi link info came in 6.8
          expect(u.count).toBe(3);
          expect(u.file).toBe(suite.targets.pie);
          expect(u.flags & 1).toBe(ret ? 1 : 0);
          const names = u.offsets().map((o) => exe.symbol(o.offset));
          expect(names.map((n) => n.offset)).toEqual([0n, 0n, 0n]);
          expect(names.map((n) => n.symbol).sort()).toEqual([...FUNCS].sort());
          expect(u.offsets().map((o) => o.cookie).sort()).toEqual([1n, 2n, 3n]);
        },
      });
    });
  }

  it('a PID that does not exist is ESRCH', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobeMulti);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, multi()));
    for (const ret of [false, true]) {
      const noPid = thrown(() => (ret ? exe.uretprobeMulti(FUNCS, prog, { pid: 0x7fffffff }) : exe.uprobeMulti(FUNCS, prog, { pid: 0x7fffffff })));
      expect(noPid).toBeInstanceOf(SyscallError);
      expect((noPid as SyscallError).code).toBe('ESRCH');
    }
  });

  it("fallback 'uprobes': one uprobe per location, counted and closed together", async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    let hasMulti = true;
    try {
      sys.haveUprobeMulti();
    } catch (err) {
      if (!isNotSupported(err)) throw err;
      hasMulti = false;
    }
    // Where the kernel has uprobe_multi the fallback is never taken; call it directly there.
    using prog = track(counting(map, { type: ProgramType.Kprobe }));
    const attach = () =>
      hasMulti
        ? uprobeGroup(exe, prog, { locations: exe.locations(FUNCS), refCtrOffsets: [], cookies: [], pid: 0 }, false)
        : exe.uprobeMulti(FUNCS, prog, { fallback: 'uprobes' });
    if (!hasMulti) expect(isNotSupported(thrown(() => exe.uprobeMulti(FUNCS, prog)))).toBe(true);
    const group = attach();
    expect(group).toBeInstanceOf(UprobeGroupLink);
    expect((group as UprobeGroupLink).links).toHaveLength(3);
    runTarget(suite.targets.pie, N);
    expect(readCounter(map)).toBe(BigInt(3 * N));
    await group.closeAsync();
    expect(group.closed).toBe(true);
    runTarget(suite.targets.pie, N);
    expect(readCounter(map)).toBe(BigInt(3 * N));
    await checkLinkConformance({ program: prog, attach });
  });

  it('bad input gives typed errors before any syscall', async (ctx) => {
    requireRoot(ctx);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, multi()));
    using socketFilter = counting(map, { type: ProgramType.SocketFilter });
    const before = openFds();
    for (const ret of [false, true]) {
      const attach = ret ? exe.uretprobeMulti.bind(exe) : exe.uprobeMulti.bind(exe);
      expect(thrown(() => attach([], prog))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach([], prog, { addresses: [1], cookies: [2, 3] }))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach([], prog, { addresses: [1, 2], refCtrOffsets: [4] }))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach(FUNCS, prog, { addresses: [1] }))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach(FUNCS, prog, { offsets: [1, 2] }))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach(FUNCS, prog, { pid: -1 }))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach(FUNCS, prog, { fallback: 'kprobes' as never }))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach('main' as never, prog))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach(FUNCS, socketFilter))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach([...FUNCS, 'bpfkit_missing'], prog))).toBeInstanceOf(SymbolNotFoundError);
      expect(thrown(() => attach(['bpfkit.one', 'bpfkit_one@V'], prog))).toBeInstanceOf(SymbolNotFoundError);
      expect(thrown(() => attach([], prog, { addresses: [exe.size + 10] }))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attach([], prog, { addresses: [1.5] }))).toBeInstanceOf(InvalidArgumentError);
    }
    exe.dropSymbols();
    expect(leakedSince(before)).toEqual([]);
  });
});
