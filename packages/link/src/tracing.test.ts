import { AttachType, ProgramType, type ProgramLoadOptions } from '@bpfkit/ebpf';
import { InvalidArgumentError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { probeAttachKind, haveTracingLink, type AttachKind } from './features.js';
import { RawTracepointLink } from './raw-tracepoint.js';
import { attachTracing, TracingLink } from './tracing.js';
import { checkLinkConformance } from './testing/conformance.js';
import { attachOrSkip, leakChecks } from './testing/suite.js';
import { attachCookieIn, cookieRecorder, counterMap, counting, freshPrograms, readCounter } from './testing/counter.js';
import { getpids, opens } from './testing/fire.js';

type Load = Omit<ProgramLoadOptions, 'instructions' | 'license'>;

interface Case {
  kind: AttachKind;
  load: Load;
  fire: (n: number) => void;
  linkType: number;
}

const CASES: Case[] = [
  { kind: 'fentry', load: { type: ProgramType.Tracing, attachType: AttachType.TraceFEntry, attachTo: 'do_sys_openat2' }, fire: opens, linkType: sys.LinkType.Tracing },
  { kind: 'fexit', load: { type: ProgramType.Tracing, attachType: AttachType.TraceFExit, attachTo: 'do_sys_openat2' }, fire: opens, linkType: sys.LinkType.Tracing },
  {
    kind: 'fmod_ret',
    load: { type: ProgramType.Tracing, attachType: AttachType.ModifyReturn, attachTo: 'security_task_getsid' },
    // getsid(0) skips the hook for the caller's own session; getsid(getpid()) reaches it.
    fire: (n) => {
      for (let i = 0; i < n; i++) sys.getsid(sys.getpid());
    },
    linkType: sys.LinkType.Tracing,
  },
  { kind: 'tp_btf', load: { type: ProgramType.Tracing, attachType: AttachType.TraceRawTp, attachTo: 'sys_enter' }, fire: getpids, linkType: sys.LinkType.RawTracepoint },
];

const EPERM = 1;

describe('attachTracing on the real kernel', () => {
  const track = leakChecks();

  for (const c of CASES) {
    for (const mechanism of ['bpf_link', 'raw_tracepoint_open'] as const) {
      it(`${c.kind} on ${c.load.attachTo} through ${mechanism} counts, and stops after close`, async (ctx) => {
        requireRoot(ctx);
        await requireFeature(ctx, () => probeAttachKind(c.kind));
        if (mechanism === 'bpf_link') await requireFeature(ctx, () => haveTracingLink(c.kind as 'fentry'));
        using map = counterMap();
        using prog = track(counting(map, c.load));
        const link = attachTracing({ program: prog, attachType: c.load.attachType, mechanism });
        expect(link).toBeInstanceOf(c.linkType === sys.LinkType.RawTracepoint ? RawTracepointLink : TracingLink);
        expect(link.mechanism).toBe(mechanism);
        c.fire(3);
        expect(readCounter(map)).toBeGreaterThanOrEqual(3n);
        link.close();
        const seen = readCounter(map);
        c.fire(3);
        expect(readCounter(map)).toBe(seen);
      });
    }

    it(`${c.kind} passes the conformance checks`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, () => probeAttachKind(c.kind));
      using map = counterMap();
      using prog = track(counting(map, c.load));
      using programs = freshPrograms(prog, () => track(counting(map, c.load)));
      await checkLinkConformance({
        program: prog,
        attach: () => attachTracing({ program: programs.next(), attachType: c.load.attachType }),
        checkInfo: (info) => {
          expect(info.type).toBe(c.linkType);
          if (c.linkType === sys.LinkType.Tracing) expect(info.tracing?.attachType).toBe(c.load.attachType);
          else expect(info.rawTracepoint?.name).toBe('sys_enter');
        },
      });
    });
  }

  it('fmod_ret returning -EPERM makes getsid(getpid()) fail while the link exists', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('fmod_ret'));
    using map = counterMap();
    using prog = track(counting(map, CASES[2]!.load, { returnValue: -EPERM }));
    const sid = sys.getsid(sys.getpid());
    const link = attachTracing({ program: prog, attachType: AttachType.ModifyReturn });
    const denied = thrown(() => sys.getsid(sys.getpid()));
    expect(denied).toBeInstanceOf(SyscallError);
    expect((denied as SyscallError).code).toBe('EPERM');
    link.close();
    expect(sys.getsid(sys.getpid())).toBe(sid);
  });

  it('the cookie of an fentry link is read back with bpf_get_attach_cookie', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('fentry'));
    await requireFeature(ctx, attachCookieIn(CASES[0]!.load));
    using map = counterMap();
    using prog = track(cookieRecorder(map, CASES[0]!.load));
    using link = attachOrSkip(ctx, () => attachTracing({ program: prog, attachType: AttachType.TraceFEntry, cookie: 0x5eed_0001n }));
    opens(1);
    expect(readCounter(map)).toBe(0x5eed_0001n);
    // Only newer kernels (not 6.12) report the cookie in link info; older ones read 0.
    expect([0n, 0x5eed_0001n]).toContain(link.info().tracing?.cookie);
  });

  it('bad input: typed errors before any syscall; a cookie without tracing links is NotSupportedError', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('tp_btf'));
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, CASES[3]!.load));
    using kprobe = track(counting(map, { type: ProgramType.Kprobe }));
    expect((thrown(() => attachTracing({ program: kprobe })) as Error).message).toMatch(/needs a Tracing program/);
    expect(thrown(() => attachTracing({ program: prog, attachType: AttachType.LSMMac }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => attachTracing({ program: prog, attachType: AttachType.TraceRawTp, mechanism: 'nope' as never }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => attachTracing({ program: prog, cookie: 1.5 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => attachTracing(undefined as never))).toBeInstanceOf(InvalidArgumentError);
    const cookie = thrown(() => attachTracing({ program: prog, attachType: AttachType.TraceRawTp, cookie: 1, mechanism: 'raw_tracepoint_open' }));
    expect(cookie).toBeInstanceOf(NotSupportedError);
    expect(leakedSince(before).filter((l) => !/bpf-map|bpf-prog/.test(l))).toEqual([]);
  });
});
