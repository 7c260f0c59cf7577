import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ProgramType } from '@bpfkit/ebpf';
import { ElfFile, ImportedSymbolError } from '@bpfkit/elf';
import { InvalidArgumentError, NotSupportedError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { tracefsPath } from '@bpfkit/tracefs';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { openExecutable } from './executable.js';
import { PerfEventIoctlLink, PerfEventLink } from './perf-event.js';
import { attachUprobe } from './uprobe.js';
import { checkLinkConformance } from './testing/conformance.js';
import { counterMap, counting, readCounter } from './testing/counter.js';
import { tracefsEventsOfThisProcess } from './testing/leaks.js';
import { adding, attachCookie, runTarget, uprobeSuite, withTargets } from './testing/uprobe-target.js';

const KPROBE = { type: ProgramType.Kprobe } as const;
const N = 7;

function haveTracefsUprobes(): void {
  if (!existsSync(`${tracefsPath()}/uprobe_events`)) throw new NotSupportedError('tracefs uprobe events', { missingConfig: 'CONFIG_UPROBE_EVENTS' });
}

describe('uprobes on the real kernel', () => {
  const suite = uprobeSuite();
  const { track } = suite;

  for (const build of ['pie', 'noPie', 'stripped'] as const) {
    it(`${build}: a uprobe counts exactly N calls and a uretprobe N returns; nothing after close`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, sys.haveUprobes);
      using exe = openExecutable(suite.targets[build]);
      using map = counterMap(2);
      using entry = track(counting(map, KPROBE, { key: 0 }));
      using exit = track(counting(map, KPROBE, { key: 1 }));
      const a = exe.uprobe('bpfkit_one', entry);
      const b = exe.uretprobe('bpfkit_two', exit);
      expect(a.mechanism).toMatch(/^perf_event\+(bpf_link|ioctl)$/);
      runTarget(suite.targets[build], N);
      expect(readCounter(map, 0)).toBe(BigInt(N));
      expect(readCounter(map, 1)).toBe(BigInt(N));
      a.close();
      b.close();
      runTarget(suite.targets[build], N);
      expect(readCounter(map, 0)).toBe(BigInt(N));
      expect(readCounter(map, 1)).toBe(BigInt(N));
    });
  }

  for (const via of ['pmu', 'tracefs'] as const) {
    it(`${via}: a symbol with a dot (bpfkit.dotted) is probed; tracefs gets a sanitised event name`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, via === 'pmu' ? sys.haveUprobes : haveTracefsUprobes);
      using exe = openExecutable(suite.targets.pie);
      using map = counterMap();
      using prog = track(counting(map, KPROBE));
      const link = attachUprobe(exe, 'bpfkit.dotted', prog, undefined, false, via);
      if (via === 'tracefs') expect((link as PerfEventLink | PerfEventIoctlLink).tracefsEvent!.name).toBe('bpfkit_dotted');
      runTarget(suite.targets.pie, N);
      link.close();
      expect(readCounter(map)).toBe(BigInt(N));
    });
  }

  it('pid: only the given process counts, a second one running the same code does not', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    await withTargets(suite.targets.pie, N, 2, async (mine, other) => {
      using _ = exe.uprobe('bpfkit_three', prog, { pid: mine.pid });
      await other.run();
      expect(readCounter(map)).toBe(0n);
      await mine.run();
      expect(readCounter(map)).toBe(BigInt(N));
      await other.run();
      expect(readCounter(map)).toBe(BigInt(N));
    });
  });

  it("a libc function probed through openExecutable('libc.so.6') counts the target's calls", async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    using libc = openExecutable('libc.so.6');
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    await withTargets(suite.targets.pie, N, 1, async (t) => {
      // Every process calls into libc: the pid keeps the count to the target's own calls.
      const link = libc.uprobe('getppid', prog, { pid: t.pid });
      await t.run();
      expect(readCounter(map)).toBe(BigInt(N));
      link.close();
      await t.run();
      expect(readCounter(map)).toBe(BigInt(N));
    });
  });

  it('refCtrOffset: the semaphore is non-zero while the uprobe exists and zero after close', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    await requireFeature(ctx, sys.haveRefCtrOffsetPMU);
    using elf = ElfFile.open(suite.targets.pie);
    const tick = elf.usdtProbes().find((p) => p.provider === 'app' && p.name === 'tick')!;
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    await withTargets(suite.targets.pie, N, 1, async (t) => {
      expect(await t.semaphore()).toBe(0);
      const link = exe.uprobe('', prog, { address: tick.locationOffset, refCtrOffset: tick.semaphoreOffset });
      expect(await t.semaphore()).toBeGreaterThan(0);
      await t.run();
      expect(readCounter(map)).toBe(BigInt(N));
      link.close();
      expect(await t.semaphore()).toBe(0);
    });
  });

  it('the cookie is read back by the program with bpf_get_attach_cookie', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    await requireFeature(ctx, sys.haveBPFLinkPerfEvent);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(adding(map, attachCookie));
    const link = exe.uprobe('bpfkit_one', prog, { cookie: 1000 });
    expect(link).toBeInstanceOf(PerfEventLink);
    runTarget(suite.targets.pie, N);
    link.close();
    expect(readCounter(map)).toBe(BigInt(N * 1000));
  });

  it('the tracefs path: a uprobe event exists while attached (group from traceFSPrefix) and is removed by close', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, haveTracefsUprobes);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap(2);
    using entry = track(counting(map, KPROBE, { key: 0 }));
    using exit = track(counting(map, KPROBE, { key: 1 }));
    const a = attachUprobe(exe, 'bpfkit_one', entry, { traceFSPrefix: 'bpfkit_test' }, false, 'tracefs');
    const b = attachUprobe(exe, 'bpfkit_one', exit, undefined, true, 'tracefs');
    expect(a.mechanism).toBe('tracefs');
    const group = (a as PerfEventLink | PerfEventIoctlLink).tracefsEvent!.group;
    expect(group).toMatch(new RegExp(`^bpfkit_test_${process.pid}_`));
    expect(tracefsEventsOfThisProcess()).toHaveLength(2);
    runTarget(suite.targets.pie, N);
    expect(readCounter(map, 0)).toBe(BigInt(N));
    expect(readCounter(map, 1)).toBe(BigInt(N));
    a.close();
    b.close();
    expect(tracefsEventsOfThisProcess()).toEqual([]);
    runTarget(suite.targets.pie, N);
    expect(readCounter(map, 0)).toBe(BigInt(N));
  });

  it('an attach by address reads no symbol table (cilium TestExecutableLazyLoadSymbols)', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    const at = (() => {
      using other = openExecutable(suite.targets.pie);
      return other.location('bpfkit_one').offset;
    })();
    const link = exe.uprobe('bpfkit_one', prog, { address: at });
    expect(exe.symbolsLoaded).toBe(false);
    runTarget(suite.targets.pie, N);
    expect(readCounter(map)).toBe(BigInt(N));
    link.close();
    exe.uprobe('bpfkit_one', prog).close();
    expect(exe.symbolsLoaded).toBe(true);
  });

  it('/bin/bash main, _start and check_dev_tty fire for `bash --help`', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    using bash = openExecutable('/bin/bash');
    using map = counterMap(3);
    const progs = [0, 1, 2].map((key) => track(counting(map, KPROBE, { key })));
    try {
      const links = ['main', '_start', 'check_dev_tty'].map((s, i) => bash.uprobe(s, progs[i]!));
      spawnSync('/bin/bash', ['--help'], { stdio: 'ignore' });
      for (const l of links) l.close();
      for (const key of [0, 1, 2]) expect(readCounter(map, key)).toBeGreaterThanOrEqual(1n);
    } finally {
      for (const p of progs) p.close();
    }
  });

  for (const ret of [false, true]) {
    it(`${ret ? 'uretprobe' : 'uprobe'} passes the conformance checks; info's offset maps back to the symbol`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, sys.haveUprobes);
      using exe = openExecutable(suite.targets.pie);
      using map = counterMap();
      using prog = track(counting(map, KPROBE));
      await checkLinkConformance({
        program: prog,
        attach: () => (ret ? exe.uretprobe('bpfkit_one', prog) : exe.uprobe('bpfkit_one', prog)),
        checkInfo: (info) => {
          expect(info.type).toBe(sys.LinkType.PerfEvent);
          const uprobe = info.perfEvent?.uprobe;
          if (!uprobe) return; // link info for perf events came in 6.6
          expect(info.perfEvent!.type).toBe(ret ? sys.PerfEventType.Uretprobe : sys.PerfEventType.Uprobe);
          expect(uprobe.file).toBe(suite.targets.pie);
          expect(exe.symbol(uprobe.offset)).toEqual({ symbol: 'bpfkit_one', offset: 0n });
        },
      });
    });
  }

  it('bad input gives typed errors and leaves nothing behind', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveUprobes);
    using exe = openExecutable(suite.targets.pie);
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    using socketFilter = counting(map, { type: ProgramType.SocketFilter });
    const before = openFds();
    const missing = thrown(() => exe.uprobe('bpfkit_missing', prog));
    expect(missing).toBeInstanceOf(SymbolNotFoundError);
    expect(String(missing)).toContain(suite.targets.pie);
    expect(thrown(() => exe.uprobe('bpfkit.one', prog))).toBeInstanceOf(SymbolNotFoundError);
    expect(thrown(() => exe.uprobe('bpfkit_one@@V1', prog))).toBeInstanceOf(SymbolNotFoundError);
    expect(thrown(() => exe.uprobe('bpfkit_one', socketFilter))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.uprobe('bpfkit_one', null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.uprobe('bpfkit_one', prog, { address: exe.size + 1 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.uprobe('bpfkit_one', prog, { offset: 1 << 20 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.uprobe('bpfkit_one', prog, { cookie: -1 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.uprobe('bpfkit_one', prog, { pid: 1.5 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.uprobe('bpfkit_one', prog, { traceFSPrefix: 'a/b' }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => exe.uprobe('bpfkit_one', prog, 'x' as never))).toBeInstanceOf(InvalidArgumentError);
    const noPid = thrown(() => exe.uprobe('bpfkit_one', prog, { pid: -2 }));
    expect(noPid).toBeInstanceOf(SyscallError);
    expect((noPid as SyscallError).code).toBe('ESRCH');
    using bash = openExecutable('/bin/bash');
    expect(thrown(() => bash.uprobe('open', prog))).toBeInstanceOf(ImportedSymbolError);
    const closed = counting(map, KPROBE);
    closed.close();
    expect(thrown(() => exe.uprobe('bpfkit_one', closed))).toBeInstanceOf(InvalidArgumentError);
    // The executables keep the file their symbol tables came from open until dropSymbols().
    exe.dropSymbols();
    bash.dropSymbols();
    expect(leakedSince(before)).toEqual([]);
    expect(tracefsEventsOfThisProcess()).toEqual([]);
  });
});
