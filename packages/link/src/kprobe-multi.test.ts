import { readFileSync } from 'node:fs';
import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, NotSupportedError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { tracefsPath } from '@bpfkit/tracefs';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { probeAttachKind } from './features.js';
import { syscallWrapper } from './kprobe.js';
import { kprobeMulti, KprobeMultiLink, kretprobeMulti, UnattachableSymbolsError } from './kprobe-multi.js';
import { checkLinkConformance } from './testing/conformance.js';
import { leakChecks } from './testing/suite.js';
import { attachCookieIn, cookieCounter, counterMap, counting, readCounter } from './testing/counter.js';
import { getpids } from './testing/fire.js';

const MULTI = { type: ProgramType.Kprobe, attachType: AttachType.TraceKprobeMulti } as const;
const SESSION = { type: ProgramType.Kprobe, attachType: AttachType.TraceKprobeSession } as const;

/** `n` getppid(2) calls: Node reads process.ppid from the kernel on every access. */
function getppids(n: number): void {
  for (let i = 0; i < n; i++) void process.ppid;
}

/**
 * The entry function of syscall `name` that ftrace can hook: the arch wrapper (`__x64_sys_getpid`)
 * where it is listed, else the body (`__do_sys_getpid`; Debian's 6.12 does not list the wrappers).
 */
function syscallFunction(name: string): string {
  const listed = new Set(readFileSync(`${tracefsPath()}/available_filter_functions`, 'latin1').split('\n').map((l) => l.split(/[\s[]/)[0]));
  const found = [syscallWrapper(name), `__do_sys_${name}`].find((s) => listed.has(s));
  if (!found) throw new Error(`no ftrace-able entry function of ${name}`);
  return found;
}

const SYSCALLS = () => [syscallFunction('getpid'), syscallFunction('getppid')];

describe('kprobeMulti, kretprobeMulti and sessions on the real kernel', () => {
  const track = leakChecks();

  for (const kind of ['kprobe_multi', 'kretprobe_multi', 'kprobe_session'] as const) {
    it(`${kind} on getpid and getppid counts each through its cookie, and stops after close`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, () => probeAttachKind(kind));
      await requireFeature(ctx, attachCookieIn(kind === 'kprobe_session' ? SESSION : MULTI));
      using map = counterMap(2);
      using prog = track(cookieCounter(map, kind === 'kprobe_session' ? SESSION : MULTI));
      const opts = { symbols: SYSCALLS(), cookies: [0, 1], session: kind === 'kprobe_session' };
      const link = kind === 'kretprobe_multi' ? kretprobeMulti(prog, { ...opts, session: false }) : kprobeMulti(prog, opts);
      expect(link).toBeInstanceOf(KprobeMultiLink);
      expect(link.skipped).toEqual([]);
      getpids(4);
      getppids(3);
      // A session runs at entry and (entry returned 0) at return.
      const per = kind === 'kprobe_session' ? 2n : 1n;
      expect(readCounter(map, 0)).toBeGreaterThanOrEqual(4n * per);
      expect(readCounter(map, 1)).toBeGreaterThanOrEqual(3n * per);
      const info = link.info().kprobeMulti!;
      expect(info.count).toBe(2);
      expect(info.flags).toBe(kind === 'kretprobe_multi' ? sys.KprobeMultiFlags.Return : 0);
      expect(info.addresses().map((a) => a.cookie).sort()).toEqual([0n, 1n]);
      link.close();
      const seen = [readCounter(map, 0), readCounter(map, 1)];
      getpids(4);
      getppids(3);
      expect([readCounter(map, 0), readCounter(map, 1)]).toEqual(seen);
    });

    it(`${kind} passes the conformance checks`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, () => probeAttachKind(kind));
      await requireFeature(ctx, attachCookieIn(kind === 'kprobe_session' ? SESSION : MULTI));
      using map = counterMap(2);
      using prog = track(cookieCounter(map, kind === 'kprobe_session' ? SESSION : MULTI));
      await checkLinkConformance({
        program: prog,
        attach: () => (kind === 'kretprobe_multi' ? kretprobeMulti(prog, { symbols: SYSCALLS() }) : kprobeMulti(prog, { symbols: SYSCALLS(), session: kind === 'kprobe_session' })),
        checkInfo: (info) => {
          expect(info.type).toBe(sys.LinkType.KprobeMulti);
          expect(info.kprobeMulti?.count).toBe(2);
        },
      });
    });
  }

  it('by addresses: the addresses the kernel reports for a symbol link attach again', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kprobe_multi'));
    await requireFeature(ctx, attachCookieIn(MULTI));
    using map = counterMap(2);
    using prog = track(cookieCounter(map, MULTI));
    let addresses: bigint[];
    {
      using bySymbol = kprobeMulti(prog, { symbols: [syscallFunction('getpid')] });
      addresses = bySymbol.info().kprobeMulti!.addresses().map((a) => a.address);
    }
    if (addresses.every((a) => a === 0n)) return ctx.skip('kernel addresses are hidden from this process (kptr_restrict)');
    using byAddress = kprobeMulti(prog, { addresses, cookies: [1] });
    expect(byAddress.info().kprobeMulti!.count).toBe(1);
    getpids(3);
    expect(readCounter(map, 1)).toBeGreaterThanOrEqual(3n);
  });

  it('lists exactly the symbols that cannot be attached, or with skipUnattachable attaches the rest', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kprobe_multi'));
    await requireFeature(ctx, attachCookieIn(MULTI));
    using map = counterMap(2);
    using prog = track(cookieCounter(map, MULTI));
    const symbols = [syscallFunction('getpid'), 'bpfkit_no_such_fn_a', syscallFunction('getppid'), 'bpfkit_no_such_fn_b'];
    const err = thrown(() => kprobeMulti(prog, { symbols }));
    expect(err).toBeInstanceOf(UnattachableSymbolsError);
    expect(err).toBeInstanceOf(SymbolNotFoundError);
    expect((err as UnattachableSymbolsError).symbols).toEqual(['bpfkit_no_such_fn_a', 'bpfkit_no_such_fn_b']);
    expect((err as Error).message).toMatch(/2 of 4 symbols/);
    // The list explains the kernel's refusal: the attach was tried first.
    expect((err as Error).cause).toBeInstanceOf(SyscallError);
    using link = kprobeMulti(prog, { symbols, cookies: [0, 7, 1, 7], skipUnattachable: true });
    expect(link.skipped).toEqual(['bpfkit_no_such_fn_a', 'bpfkit_no_such_fn_b']);
    expect(link.info().kprobeMulti!.count).toBe(2);
    getpids(2);
    getppids(2);
    expect(readCounter(map, 0)).toBeGreaterThanOrEqual(2n);
    expect(readCounter(map, 1)).toBeGreaterThanOrEqual(2n);
    expect(thrown(() => kprobeMulti(prog, { symbols: ['bpfkit_no_such_fn_a'], skipUnattachable: true }))).toBeInstanceOf(UnattachableSymbolsError);
  });

  it('bad input: typed errors before any syscall; a bogus address is the kernel error, unrelabelled', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('kprobe_multi'));
    const before = openFds();
    await requireFeature(ctx, attachCookieIn(MULTI));
    using map = counterMap(2);
    using prog = track(cookieCounter(map, MULTI));
    using tp = track(cookieCounter(map, { type: ProgramType.TracePoint }));
    const bad: [string, unknown][] = [
      ['nothing', {}],
      ['both', { symbols: ['a'], addresses: [1] }],
      ['fewer cookies', { symbols: SYSCALLS(), cookies: [1] }],
      ['more cookies', { addresses: [1], cookies: [1, 2] }],
      ['empty symbol', { symbols: [''] }],
      ['underscore', { symbols: ['_'] }],
      ['dot', { symbols: ['.'] }],
      ['negative address', { addresses: [-1] }],
      ['kretprobe session', { symbols: SYSCALLS(), session: true }],
    ];
    for (const [name, opts] of bad) {
      const fn = name === 'kretprobe session' ? kretprobeMulti : kprobeMulti;
      expect(thrown(() => fn(prog, opts as never)), name).toBeInstanceOf(InvalidArgumentError);
    }
    expect((thrown(() => kprobeMulti(tp, { symbols: SYSCALLS() })) as Error).message).toMatch(/needs a Kprobe program/);
    const bogus = thrown(() => kprobeMulti(prog, { addresses: [(1n << 64n) - 1n] }));
    // 6.12 answers EINVAL, 7.x ENOENT: the kernel's own code either way.
    expect(bogus).toSatisfy((e: unknown) => e instanceof SymbolNotFoundError || (e instanceof SyscallError && ['EINVAL', 'ENOENT'].includes(e.code)));
    expect(leakedSince(before).filter((l) => !/bpf-map|bpf-prog/.test(l))).toEqual([]);
  });
});

describe('kprobeMulti and the kernel probe agree', () => {
  it('where the probe says no, NotSupportedError (naming CONFIG_FPROBE when that is missing), never a bare EINVAL', (ctx) => {
    requireRoot(ctx);
    let missing: unknown;
    try {
      sys.haveKprobeMulti();
    } catch (err) {
      missing = err;
    }
    using map = counterMap();
    using prog = counting(map, MULTI);
    if (!missing) {
      using link = kprobeMulti(prog, { symbols: [syscallFunction('getpid')] });
      expect(link.info().kprobeMulti!.count).toBe(1);
      return;
    }
    expect(missing).toBeInstanceOf(NotSupportedError);
    const err = thrown(() => kprobeMulti(prog, { symbols: [syscallWrapper('getpid')] }));
    expect(err).toBeInstanceOf(NotSupportedError);
    if ((missing as NotSupportedError).missingConfig) expect((err as Error).message).toMatch(/kernel built without CONFIG_FPROBE/);
  });
});
