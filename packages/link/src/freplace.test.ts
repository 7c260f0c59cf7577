import { ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { probeAttachKind } from './features.js';
import { attachFreplace } from './freplace.js';
import { TracingLink } from './tracing.js';
import { checkLinkConformance } from './testing/conformance.js';
import { leakChecks } from './testing/suite.js';
import { counterMap, counting } from './testing/counter.js';
import { replacement, XDP_DROP, XDP_PASS, xdpWithGlobalFunction } from './testing/freplace.js';

const PACKET = new Uint8Array(64);

describe('attachFreplace on the real kernel', () => {
  const track = leakChecks();

  it('the XDP program runs the replacement while attached (testRun), its own function after close', async (ctx) => {
    requireRoot(ctx);
    const target = track(xdpWithGlobalFunction());
    try {
      expect(target.testRun({ data: PACKET }).retval).toBe(XDP_PASS);
      await requireFeature(ctx, () => probeAttachKind('freplace'));
      using ext = track(replacement(target, XDP_DROP));
      using link = attachFreplace(target, 'replace_me', ext);
      expect(link).toBeInstanceOf(TracingLink);
      expect(link.mechanism).toBe('bpf_link');
      expect(target.testRun({ data: PACKET }).retval).toBe(XDP_DROP);
      // 5.10 reports no target in link info (0).
      expect([0, target.info().id]).toContain(link.info().tracing?.targetObjectId);
      link.close();
      expect(target.testRun({ data: PACKET }).retval).toBe(XDP_PASS);
    } finally {
      target.close();
    }
  });

  it('with neither target nor name the program attaches where it was loaded for', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('freplace'));
    using target = track(xdpWithGlobalFunction());
    using ext = track(replacement(target, XDP_DROP));
    using link = attachFreplace(null, '', ext);
    expect(target.testRun({ data: PACKET }).retval).toBe(XDP_DROP);
    expect(link.info().type).toBe(sys.LinkType.Tracing);
  });

  it('passes the conformance checks', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('freplace'));
    using target = track(xdpWithGlobalFunction());
    using ext = track(replacement(target, XDP_DROP));
    await checkLinkConformance({
      program: ext,
      attach: () => attachFreplace(target, 'replace_me', ext),
      checkInfo: (info) => {
        expect(info.type).toBe(sys.LinkType.Tracing);
        expect([0, target.info().id]).toContain(info.tracing?.targetObjectId);
      },
    });
  });

  it('bad input: typed errors before any syscall; an unknown function is SymbolNotFoundError', async (ctx) => {
    requireRoot(ctx);
    const before = openFds();
    using target = track(xdpWithGlobalFunction());
    using map = counterMap();
    using xdp = track(counting(map, { type: ProgramType.XDP }));
    expect(thrown(() => attachFreplace(target, '', xdp))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => attachFreplace(null, 'replace_me', xdp))).toBeInstanceOf(InvalidArgumentError);
    expect((thrown(() => attachFreplace(target, 'replace_me', xdp)) as Error).message).toMatch(/needs a Extension program/);
    // Checked against the target's BTF before any attach: no Extension program needed for this.
    await requireFeature(ctx, () => probeAttachKind('freplace'));
    using ext = track(replacement(target, XDP_DROP));
    const unknown = thrown(() => attachFreplace(target, 'no_such_function', ext));
    expect(unknown).toBeInstanceOf(SymbolNotFoundError);
    expect(thrown(() => attachFreplace(xdp, 'replace_me', ext))).toBeInstanceOf(InvalidArgumentError);
    expect(leakedSince(before).filter((l) => !/bpf-map|bpf-prog/.test(l))).toEqual([]);
  });
});
