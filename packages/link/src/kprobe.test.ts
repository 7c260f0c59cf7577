import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, isNotExist, NotSupportedError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { listEvents, removeStaleEvents, tracefsPath } from '@bpfkit/tracefs';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { probeAttachKind } from './features.js';
import { kprobe, kretprobe, syscallWrapper } from './kprobe.js';
import { pmuType, type PerfAttach } from './perf-event.js';
import { checkLinkConformance } from './testing/conformance.js';
import { leakChecks } from './testing/suite.js';
import { attachCookieIn, cookieRecorder, counterMap, counting, readCounter } from './testing/counter.js';
import { getpids, opens } from './testing/fire.js';
import { tracefsEventsOfThisProcess } from './testing/leaks.js';

const KPROBE = { type: ProgramType.Kprobe } as const;
const TARGET = 'do_sys_openat2';

/** A missing symbol: the kernel's ENOENT (EINVAL from tracefs on 6.11+ and for kretprobes on 5.10), or ours. */
function expectMissingSymbol(err: unknown): void {
  if (err instanceof SymbolNotFoundError) return;
  expect(err).toBeInstanceOf(SyscallError);
  expect(['ENOENT', 'EINVAL']).toContain((err as SyscallError).code);
  if ((err as SyscallError).code === 'EINVAL') expect((err as Error).message).not.toMatch(/not found/);
}

/** A dotted (compiler-suffixed) function that ftrace lists, so it can be probed. */
function dottedSymbol(): string | undefined {
  const text = readFileSync(`${tracefsPath()}/available_filter_functions`, 'utf8');
  return /^([A-Za-z_][A-Za-z0-9_]*\.(?:isra|constprop|part)\.\d+)$/m.exec(text)?.[1];
}

describe('kprobe and kretprobe on the real kernel', () => {
  const track = leakChecks();

  for (const via of ['pmu', 'tracefs'] as const) {
    for (const ret of [false, true]) {
      const kind = ret ? 'kretprobe' : 'kprobe';
      it(`${kind} through ${via} on ${TARGET} counts opens, and stops after close`, async (ctx) => {
        requireRoot(ctx);
        await requireFeature(ctx, () => probeAttachKind(kind));
        if (via === 'pmu') await requireFeature(ctx, () => pmuType('kprobe'));
        using map = counterMap();
        using prog = track(counting(map, KPROBE));
        const link = (ret ? kretprobe : kprobe)(TARGET, prog, { via });
        expect(link.mechanism).toBe(via === 'tracefs' ? 'tracefs' : link.perfAttach);
        expect(link.tracefsEvent !== undefined).toBe(via === 'tracefs');
        if (via === 'tracefs') expect(tracefsEventsOfThisProcess()).toHaveLength(1);
        opens(3);
        expect(readCounter(map)).toBeGreaterThanOrEqual(3n);
        link.close();
        expect(tracefsEventsOfThisProcess()).toEqual([]);
        const seen = readCounter(map);
        opens(3);
        expect(readCounter(map)).toBe(seen);
      });

      it(`${kind} through ${via} passes the conformance checks`, async (ctx) => {
        requireRoot(ctx);
        await requireFeature(ctx, () => probeAttachKind(kind));
        if (via === 'pmu') await requireFeature(ctx, () => pmuType('kprobe'));
        using map = counterMap();
        using prog = track(counting(map, KPROBE));
        await checkLinkConformance({
          program: prog,
          attach: () => (ret ? kretprobe : kprobe)(TARGET, prog, { via }),
          checkInfo: (info) => {
            expect(info.type).toBe(sys.LinkType.PerfEvent);
            // Perf link info has the detail from 6.6 on.
            if (info.perfEvent?.kprobe) {
              expect(info.perfEvent.type).toBe(ret ? sys.PerfEventType.Kretprobe : sys.PerfEventType.Kprobe);
              expect(info.perfEvent.kprobe.function).toBe(TARGET);
            }
          },
        });
      });
    }
  }

  it('the PERF_EVENT_IOC_SET_BPF path counts too, and has no link fd', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kprobe'));
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    const perfAttach: PerfAttach = 'perf_event+ioctl';
    const link = kprobe(TARGET, prog, { perfAttach });
    expect(link.fd).toBe(-1);
    expect(link.perfAttach).toBe(perfAttach);
    opens(3);
    expect(readCounter(map)).toBeGreaterThanOrEqual(3n);
    link.close();
    const seen = readCounter(map);
    opens(3);
    expect(readCounter(map)).toBe(seen);
  });

  it("kprobe('sys_getpid') attaches through the syscall-prefix retry and counts getpid", async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kprobe'));
    expect(syscallWrapper('getpid')).toBe(`${process.arch === 'arm64' ? '__arm64_' : '__x64_'}sys_getpid`);
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    for (const via of ['pmu', 'tracefs'] as const) {
      if (via === 'pmu' && !existsPMU()) continue;
      const before = readCounter(map);
      const link = kprobe('sys_getpid', prog, { via });
      getpids(5);
      expect(readCounter(map)).toBeGreaterThanOrEqual(before + 5n);
      link.close();
    }
  });

  it('the cookie is read back with bpf_get_attach_cookie, on both probe paths', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kprobe'));
    await requireFeature(ctx, sys.haveBPFLinkPerfEvent);
    await requireFeature(ctx, attachCookieIn(KPROBE));
    using map = counterMap();
    using prog = track(cookieRecorder(map, KPROBE));
    for (const [via, cookie] of [['pmu', 0xfeed_0001n], ['tracefs', 0xfeed_0002n]] as const) {
      if (via === 'pmu' && !existsPMU()) continue;
      using link = kretprobe(TARGET, prog, { via, cookie });
      opens(1);
      expect(readCounter(map)).toBe(cookie);
      if (link.fd >= 0 && link.info().perfEvent?.kprobe) expect(link.info().perfEvent!.kprobe!.cookie).toBe(cookie);
    }
  });

  it('retprobeMaxActive forces tracefs; traceFSPrefix names the group', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kretprobe'));
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    using link = kretprobe(TARGET, prog, { retprobeMaxActive: 64, traceFSPrefix: 'bpfkit_test' });
    expect(link.mechanism).toBe('tracefs');
    expect(link.tracefsEvent!.group).toMatch(/^bpfkit_test_/);
    const line = readFileSync(`${tracefsPath()}/kprobe_events`, 'utf8').split('\n').find((l) => l.includes(link.tracefsEvent!.group));
    expect(line).toMatch(/^r64:/);
    opens(3);
    expect(readCounter(map)).toBeGreaterThanOrEqual(3n);
  });

  it('a dotted symbol (.isra/.constprop/.part) attaches', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kprobe'));
    const symbol = dottedSymbol();
    if (symbol === undefined) return ctx.skip('this kernel has no dotted function in available_filter_functions');
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    using link = kprobe(symbol, prog);
    expect(link.closed).toBe(false);
  });

  it('bad input: typed errors before any syscall; a missing symbol is ENOENT/EINVAL; nothing is left behind', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kprobe'));
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, KPROBE));
    using tp = track(counting(map, { type: ProgramType.TracePoint }));
    for (const symbol of ['', '_', '.', '.isra', 'mod:sym', 'a b', '1abc']) {
      expect(thrown(() => kprobe(symbol, prog)), JSON.stringify(symbol)).toBeInstanceOf(InvalidArgumentError);
    }
    expect((thrown(() => kprobe(TARGET, tp)) as Error).message).toMatch(/needs a Kprobe program/);
    expect(thrown(() => kprobe(TARGET, prog, { retprobeMaxActive: 4 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => kretprobe(TARGET, prog, { retprobeMaxActive: 5000 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => kprobe(TARGET, prog, { traceFSPrefix: 'no-dashes' }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => kprobe(TARGET, prog, { cookie: -1 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => kprobe(TARGET, prog, { offset: 1n << 40n }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => kprobe('bpfkit_no_such_symbol', prog, { offset: 4 }))).toBeInstanceOf(SymbolNotFoundError);
    for (const via of ['pmu', 'tracefs'] as const) {
      if (via === 'pmu' && !existsPMU()) continue;
      for (const probe of [kprobe, kretprobe]) {
        const err = thrown(() => probe('bpfkit_no_such_symbol', prog, { via }));
        expectMissingSymbol(err);
        if ((err as SyscallError).code === 'ENOENT') expect(isNotExist(err)).toBe(true);
      }
    }
    const cookie = thrown(() => kprobe(TARGET, prog, { cookie: 1, perfAttach: 'perf_event+ioctl' }));
    expect(cookie).toBeInstanceOf(NotSupportedError);
    expect(cookie as Error).toHaveProperty('message', expect.stringMatching(/cookies on kprobe do_sys_openat2/));
    expect(tracefsEventsOfThisProcess()).toEqual([]);
    expect(leakedSince(before).filter((l) => !/bpf-map|bpf-prog/.test(l))).toEqual([]);
  });

  it("a process killed while its probe exists leaves a stale event that the next process's sweep removes", async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kprobe'));
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { createKprobeEvent } from '@bpfkit/tracefs'; const e = createKprobeEvent({ symbol: '${TARGET}' }); console.log(e.group); setInterval(() => {}, 1000);`],
      // From this package's directory, where @bpfkit/tracefs resolves.
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    const group = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
    expect(listEvents().some((e) => e.group === group)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const removed = removeStaleEvents();
    expect(removed.map((e) => e.group)).toContain(group);
    expect(listEvents().some((e) => e.group === group)).toBe(false);
  });
});

describe('kprobe and the kernel probe agree', () => {
  it('where the kernel has no kprobes, NotSupportedError naming CONFIG_KPROBES; else the probe attaches', (ctx) => {
    requireRoot(ctx);
    let missing: unknown;
    try {
      sys.haveKprobes();
    } catch (err) {
      missing = err;
    }
    using map = counterMap();
    using prog = counting(map, KPROBE);
    if (!missing) {
      using link = kprobe(TARGET, prog);
      expect(link.closed).toBe(false);
      return;
    }
    const err = thrown(() => kprobe(TARGET, prog));
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as Error).message).toMatch(/kernel built without CONFIG_KPROBES/);
  });
});

function existsPMU(): boolean {
  try {
    pmuType('kprobe');
    return true;
  } catch (err) {
    if (err instanceof NotSupportedError) return false;
    throw err;
  }
}
