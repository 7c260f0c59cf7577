import { isNotSupported } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '@bpfkit/testing';
import { AttachKinds, feature, features } from './features.js';

function probeSays(probe: () => unknown): boolean {
  try {
    probe();
    return true;
  } catch (err) {
    if (!isNotSupported(err)) throw err;
    return false;
  }
}

describe('features()', () => {
  it('reports every attach kind once, with a mechanism when supported and a reason when not', (ctx) => {
    requireRoot(ctx);
    const report = features();
    expect(report.map((r) => r.kind)).toEqual([...AttachKinds]);
    for (const r of report) {
      if (r.supported) {
        expect(r.mechanism, r.kind).toBeTruthy();
        expect(r.reason).toBeUndefined();
      } else {
        expect(r.reason, r.kind).toMatch(/not supported/);
        expect(r.reason, `${r.kind}: a reason names what is missing`).not.toMatch(/probe failed/);
      }
    }
  });

  it('agrees with the kernel probes it is built on', (ctx) => {
    requireRoot(ctx);
    expect(feature('kprobe').supported).toBe(probeSays(sys.haveKprobes));
    expect(feature('kprobe_multi').supported).toBe(probeSays(sys.haveKprobeMulti));
    expect(feature('uprobe_multi').supported).toBe(probeSays(sys.haveUprobeMulti));
    expect(feature('tcx').supported).toBe(probeSays(sys.haveTCX));
    expect(feature('netkit').supported).toBe(probeSays(sys.haveNetkit));
    expect(feature('cgroup').mechanism).toBe(probeSays(sys.haveBPFLink) ? 'bpf_link' : 'prog_attach');
    expect(feature('tracepoint').mechanism).toBe(probeSays(sys.haveBPFLinkPerfEvent) ? 'perf_event+bpf_link' : 'perf_event+ioctl');
  });

  it('a kind the kernel lacks says which config or version it needs; a refused one says so', (ctx) => {
    requireRoot(ctx);
    for (const r of features().filter((f) => !f.supported)) {
      expect(r.reason, r.kind).toMatch(/kernel built without CONFIG_|requires >= v|refused by this kernel|bpf is not in/);
      if (r.missingConfig) expect(r.reason).toContain(r.missingConfig);
      if (r.refusal) expect(r.reason).toContain(r.refusal);
    }
    const kprobe = feature('kprobe');
    if (!kprobe.supported && /CONFIG_KPROBES/.test(kprobe.reason!)) expect(kprobe.missingConfig).toBe('CONFIG_KPROBES');
  });

  it('is memoised: a second report is the same and cheap to get', (ctx) => {
    requireRoot(ctx);
    const a = features();
    const b = features();
    expect(b).toEqual(a);
    b[0]!.supported = !b[0]!.supported;
    expect(features()[0]!.supported).toBe(a[0]!.supported);
  });
});
