import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { probeAttachKind, haveTracingLink, lsmLoads } from './features.js';
import { attachLSM } from './lsm.js';
import { TracingLink } from './tracing.js';
import { checkLinkConformance } from './testing/conformance.js';
import { attachOrSkip, leakChecks } from './testing/suite.js';
import { attachCookieIn, cookieRecorder, counterMap, counting, freshPrograms, readCounter } from './testing/counter.js';

const MPROTECT = { type: ProgramType.LSM, attachType: AttachType.LSMMac, attachTo: 'file_mprotect' } as const;

/** Starting a dynamically linked program: ld.so mprotects its RELRO segments (file_mprotect). */
function mprotects(n: number): void {
  for (let i = 0; i < n; i++) expect(spawnSync('/bin/true').status).toBe(0);
}

function bpfLSMActive(): boolean {
  const path = '/sys/kernel/security/lsm';
  return existsSync(path) && readFileSync(path, 'utf8').trim().split(',').includes('bpf');
}

describe('attachLSM on the real kernel', () => {
  const track = leakChecks();

  for (const mechanism of ['bpf_link', 'raw_tracepoint_open'] as const) {
    it(`${mechanism}: file_mprotect runs where bpf is an active LSM, and only attaches where it is not`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, lsmLoads);
      if (mechanism === 'bpf_link') await requireFeature(ctx, () => haveTracingLink('lsm'));
      using map = counterMap();
      using prog = track(counting(map, MPROTECT));
      const link = attachLSM({ program: prog, mechanism });
      expect(link).toBeInstanceOf(TracingLink);
      expect(link.mechanism).toBe(mechanism);
      mprotects(3);
      if (bpfLSMActive()) {
        expect(readCounter(map)).toBeGreaterThanOrEqual(3n);
      } else {
        // Attached, but the kernel never calls the BPF LSM's hooks.
        expect(link.info().tracing?.attachType).toBe(AttachType.LSMMac);
        expect(readCounter(map)).toBe(0n);
      }
      link.close();
      const seen = readCounter(map);
      mprotects(3);
      expect(readCounter(map)).toBe(seen);
    });
  }

  it('the feature report says an inactive BPF LSM attaches but never runs', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, lsmLoads);
    if (bpfLSMActive()) expect(() => probeAttachKind('lsm')).not.toThrow();
    else expect(() => probeAttachKind('lsm')).toThrow(/attach but never run/);
  });

  it('passes the conformance checks', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, lsmLoads);
    using map = counterMap();
    using prog = track(counting(map, MPROTECT));
    using programs = freshPrograms(prog, () => track(counting(map, MPROTECT)));
    await checkLinkConformance({
      program: prog,
      attach: () => attachLSM({ program: programs.next() }),
      checkInfo: (info) => {
        expect(info.type).toBe(sys.LinkType.Tracing);
        expect(info.tracing?.attachType).toBe(AttachType.LSMMac);
      },
    });
  });

  it('the cookie is read back with bpf_get_attach_cookie', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('lsm'));
    await requireFeature(ctx, attachCookieIn(MPROTECT));
    using map = counterMap();
    using prog = track(cookieRecorder(map, MPROTECT));
    using link = attachOrSkip(ctx, () => attachLSM({ program: prog, cookie: 0x15a0n }));
    mprotects(1);
    expect(readCounter(map)).toBe(0x15a0n);
    // Only newer kernels (not 6.12) report the cookie in link info; older ones read 0.
    expect([0n, 0x15a0n]).toContain(link.info().tracing?.cookie);
  });

  it('bad input: typed errors before any syscall', async (ctx) => {
    requireRoot(ctx);
    const before = openFds();
    using map = counterMap();
    using kprobe = track(counting(map, { type: ProgramType.Kprobe }));
    expect((thrown(() => attachLSM({ program: kprobe })) as Error).message).toMatch(/needs a LSM program/);
    expect(thrown(() => attachLSM(null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => attachLSM({ program: kprobe, cookie: -2 }))).toBeInstanceOf(InvalidArgumentError);
    await requireFeature(ctx, lsmLoads);
    using prog = track(counting(map, MPROTECT));
    expect(thrown(() => attachLSM({ program: prog, mechanism: 'x' as never }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => attachLSM({ program: prog, cookie: 1, mechanism: 'raw_tracepoint_open' }))).toBeInstanceOf(NotSupportedError);
    expect(leakedSince(before).filter((l) => !/bpf-map|bpf-prog/.test(l))).toEqual([]);
  });
});
