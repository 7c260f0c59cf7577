import { readdirSync } from 'node:fs';
import { ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, isNotExist, NotSupportedError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { tracefsPath } from '@bpfkit/tracefs';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { closeAll } from './close.js';
import { probeAttachKind } from './features.js';
import { PerfEventIoctlLink, PerfEventLink, type PerfAttach } from './perf-event.js';
import { tracepoint } from './tracepoint.js';
import { checkLinkConformance } from './testing/conformance.js';
import { leakChecks } from './testing/suite.js';
import { attachCookieIn, cookieRecorder, counterMap, counting, readCounter } from './testing/counter.js';
import { getpids } from './testing/fire.js';

const TP = { type: ProgramType.TracePoint } as const;

describe('tracepoint on the real kernel', () => {
  const track = leakChecks();

  for (const perfAttach of ['perf_event+bpf_link', 'perf_event+ioctl'] as PerfAttach[]) {
    it(`${perfAttach}: syscalls/sys_enter_getpid counts this process's getpid calls, and stops after close`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, () => probeAttachKind('tracepoint'));
      if (perfAttach === 'perf_event+bpf_link') await requireFeature(ctx, sys.haveBPFLinkPerfEvent);
      using map = counterMap();
      using prog = track(counting(map, TP));
      const link = tracepoint('syscalls', 'sys_enter_getpid', prog, { perfAttach });
      expect(link).toBeInstanceOf(perfAttach === 'perf_event+bpf_link' ? PerfEventLink : PerfEventIoctlLink);
      expect(link.mechanism).toBe(perfAttach);
      expect(link.perfAttach).toBe(perfAttach);
      getpids(5);
      expect(readCounter(map)).toBeGreaterThanOrEqual(5n);
      link.close();
      const seen = readCounter(map);
      getpids(5);
      expect(readCounter(map)).toBe(seen);
    });

    it(`${perfAttach}: passes the conformance checks`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, () => probeAttachKind('tracepoint'));
      if (perfAttach === 'perf_event+bpf_link') await requireFeature(ctx, sys.haveBPFLinkPerfEvent);
      using map = counterMap();
      using prog = track(counting(map, TP));
      await checkLinkConformance({
        program: prog,
        attach: () => tracepoint('syscalls', 'sys_enter_getpid', prog, { perfAttach }),
        checkInfo: (info) => {
          expect(info.type).toBe(sys.LinkType.PerfEvent);
          // Perf link info has the detail from 6.6 on.
          if (info.perfEvent?.tracepoint) expect(info.perfEvent.tracepoint.tracepoint).toBe('sys_enter_getpid');
        },
      });
    });
  }

  it('perfEvent() duplicates the perf event; the link still detaches on close', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('tracepoint'));
    using map = counterMap();
    using prog = track(counting(map, TP));
    const link = tracepoint('syscalls', 'sys_enter_getpid', prog);
    const dup = link.perfEvent();
    expect(dup.fd).toBeGreaterThan(0);
    link.close();
    expect(() => link.perfEvent()).toThrow(NotSupportedError);
    dup.close();
  });

  it('the cookie is read back by the program with bpf_get_attach_cookie', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveBPFLinkPerfEvent);
    await requireFeature(ctx, attachCookieIn(TP));
    using map = counterMap();
    using prog = track(cookieRecorder(map, TP));
    using link = tracepoint('syscalls', 'sys_enter_getpid', prog, { cookie: 0x1234_5678_9abcn });
    getpids(1);
    expect(readCounter(map)).toBe(0x1234_5678_9abcn);
    if (link.info().perfEvent?.tracepoint) expect(link.info().perfEvent!.tracepoint!.cookie).toBe(0x1234_5678_9abcn);
  });

  it('closeAll closes 100 tracepoint links off the main thread, leaving nothing behind', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('tracepoint'));
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, TP));
    // One program attaches to an event once (EEXIST): 100 syscall tracepoints.
    const names = readdirSync(`${tracefsPath()}/events/syscalls`).filter((n) => n.startsWith('sys_enter_') && n !== 'sys_enter_getpid').sort();
    expect(names.length).toBeGreaterThanOrEqual(100);
    const links = names.slice(0, 99).concat('sys_enter_getpid').map((n) => tracepoint('syscalls', n, prog));
    await closeAll(links);
    expect(links.every((l) => l.closed)).toBe(true);
    const seen = readCounter(map);
    getpids(3);
    expect(readCounter(map)).toBe(seen);
    expect(leakedSince(before).filter((l) => !/bpf-map|bpf-prog/.test(l))).toEqual([]);
  });

  it('a program attaches to one tracepoint once: EEXIST, with a hint', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('tracepoint'));
    using map = counterMap();
    using prog = track(counting(map, TP));
    using first = tracepoint('syscalls', 'sys_enter_getpid', prog);
    const again = thrown(() => tracepoint('syscalls', 'sys_enter_getpid', prog));
    expect(again).toBeInstanceOf(SyscallError);
    expect((again as SyscallError).code).toBe('EEXIST');
    expect((again as Error).message).toMatch(/attached to this perf event already/);
    expect(first.closed).toBe(false);
  });

  it('bad input: typed errors before any syscall, a missing tracepoint is ENOENT, cookies need perf links', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('tracepoint'));
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, TP));
    using kprobe = track(counting(map, { type: ProgramType.Kprobe }));
    for (const [group, name] of [['', 'x'], ['syscalls', ''], ['_', 'sys_enter_getpid'], ['syscalls', '.'], ['sys/calls', 'x'], ['syscalls', '+']]) {
      const err = thrown(() => tracepoint(group!, name!, prog));
      expect(err, `${group}/${name}`).toBeInstanceOf(InvalidArgumentError);
    }
    const wrongType = thrown(() => tracepoint('syscalls', 'sys_enter_getpid', kprobe));
    expect(wrongType).toBeInstanceOf(InvalidArgumentError);
    expect((wrongType as Error).message).toMatch(/needs a TracePoint program/);
    expect(thrown(() => tracepoint('syscalls', 'sys_enter_getpid', prog, { cookie: -1 }))).toBeInstanceOf(InvalidArgumentError);
    const missing = thrown(() => tracepoint('syscalls', 'sys_enter_bpfkit_nope', prog));
    expect(missing).toBeInstanceOf(SyscallError);
    expect((missing as SyscallError).code).toBe('ENOENT');
    expect(isNotExist(missing)).toBe(true);
    const cookie = thrown(() => tracepoint('syscalls', 'sys_enter_getpid', prog, { cookie: 1, perfAttach: 'perf_event+ioctl' }));
    expect(cookie).toBeInstanceOf(NotSupportedError);
    expect((cookie as Error).message).toMatch(/cookies on tracepoint syscalls\/sys_enter_getpid/);
    const closed = track(counting(map, TP));
    closed.close();
    expect(thrown(() => tracepoint('syscalls', 'sys_enter_getpid', closed))).toBeInstanceOf(InvalidArgumentError);
    expect(leakedSince(before).filter((l) => !/bpf-map|bpf-prog/.test(l))).toEqual([]);
  });
});
