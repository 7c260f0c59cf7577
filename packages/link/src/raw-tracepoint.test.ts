import { ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, isNotExist, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { probeAttachKind } from './features.js';
import { attachRawTracepoint, RawTracepointLink } from './raw-tracepoint.js';
import { checkLinkConformance } from './testing/conformance.js';
import { attachOrSkip, leakChecks } from './testing/suite.js';
import { attachCookieIn, cookieRecorder, counterMap, counting, readCounter } from './testing/counter.js';
import { getpids } from './testing/fire.js';

const RAW_TP = { type: ProgramType.RawTracepoint } as const;

describe('attachRawTracepoint on the real kernel', () => {
  const track = leakChecks();

  it('sys_enter counts this process\'s syscalls, and stops after close', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('raw_tracepoint'));
    using map = counterMap();
    using prog = track(counting(map, RAW_TP));
    const link = attachRawTracepoint({ name: 'sys_enter', program: prog });
    expect(link).toBeInstanceOf(RawTracepointLink);
    expect(link.mechanism).toBe('raw_tracepoint_open');
    getpids(5);
    expect(readCounter(map)).toBeGreaterThanOrEqual(5n);
    link.close();
    const seen = readCounter(map);
    getpids(5);
    expect(readCounter(map)).toBe(seen);
  });

  it('passes the conformance checks', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('raw_tracepoint'));
    using map = counterMap();
    using prog = track(counting(map, RAW_TP));
    await checkLinkConformance({
      program: prog,
      attach: () => attachRawTracepoint({ name: 'sys_enter', program: prog }),
      checkInfo: (info) => {
        expect(info.type).toBe(sys.LinkType.RawTracepoint);
        expect(info.rawTracepoint?.name).toBe('sys_enter');
      },
    });
  });

  it('the cookie is read back with bpf_get_attach_cookie (6.10)', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('raw_tracepoint'));
    await requireFeature(ctx, attachCookieIn(RAW_TP));
    using map = counterMap();
    using prog = track(cookieRecorder(map, RAW_TP));
    using link = attachOrSkip(ctx, () => attachRawTracepoint({ name: 'sys_enter', program: prog, cookie: 0xabcdefn }));
    getpids(1);
    expect(readCounter(map)).toBe(0xabcdefn);
    // Only newer kernels (not 6.12) report the cookie in link info; older ones read 0.
    expect([0n, 0xabcdefn]).toContain(link.info().rawTracepoint?.cookie);
  });

  it('bad input: typed errors before any syscall; an unknown tracepoint is ENOENT', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('raw_tracepoint'));
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, RAW_TP));
    using tp = track(counting(map, { type: ProgramType.TracePoint }));
    for (const name of ['', '_', '.', 'sys/enter', 'a b']) {
      expect(thrown(() => attachRawTracepoint({ name, program: prog })), JSON.stringify(name)).toBeInstanceOf(InvalidArgumentError);
    }
    expect((thrown(() => attachRawTracepoint({ name: 'sys_enter', program: tp })) as Error).message).toMatch(/needs a RawTracepoint or RawTracepointWritable program/);
    expect(thrown(() => attachRawTracepoint(null as never))).toBeInstanceOf(InvalidArgumentError);
    const missing = thrown(() => attachRawTracepoint({ name: 'bpfkit_no_such_tracepoint', program: prog }));
    expect(missing).toBeInstanceOf(SyscallError);
    expect((missing as SyscallError).code).toBe('ENOENT');
    expect(isNotExist(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/attach raw tracepoint bpfkit_no_such_tracepoint/);
    expect(leakedSince(before).filter((l) => !/bpf-map|bpf-prog/.test(l))).toEqual([]);
  });
});
