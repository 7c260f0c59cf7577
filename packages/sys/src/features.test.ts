import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNotSupported, NotSupportedError } from '@bpfkit/errors';
import { requireRoot } from '@bpfkit/testing';
import * as features from './features.js';
import { compareVersions, kernelVersion } from './probe.js';

const atLeast = (v: string) => compareVersions(kernelVersion(), v) >= 0;

/** What each probe must conclude on the running kernel, from facts independent of the probe. */
const expectations: [name: keyof typeof features, expected: () => boolean][] = [
  ['haveBPFLink', () => atLeast('5.7')],
  ['haveProgAttach', () => true],
  ['haveProgAttachReplace', () => atLeast('5.5')],
  ['haveProgQuery', () => atLeast('4.15')],
  ['haveTCX', () => atLeast('6.6')],
  ['haveBPFLinkPerfEvent', () => atLeast('5.15')],
  ['haveRefCtrOffsetPMU', () => existsSync('/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset')],
  [
    'haveKprobes',
    () => existsSync('/sys/bus/event_source/devices/kprobe/type') || existsSync('/sys/kernel/tracing/kprobe_events'),
  ],
  ['haveUprobes', () => existsSync('/sys/bus/event_source/devices/uprobe/type')],
  ['haveUprobeMulti', () => atLeast('6.6')],
];

describe('feature probes agree with the running kernel', () => {
  for (const [name, expected] of expectations) {
    it(name, (ctx) => {
      requireRoot(ctx);
      const probe = features[name] as () => void;
      if (expected()) expect(() => probe()).not.toThrow();
      else expect(probe).toThrow(NotSupportedError);
    });
  }

  it('kprobe_multi and netkit either work or say which config is missing', (ctx) => {
    requireRoot(ctx);
    for (const probe of [features.haveKprobeMulti, features.haveNetkit]) {
      try {
        probe();
      } catch (err) {
        expect(isNotSupported(err)).toBe(true);
        const e = err as NotSupportedError;
        if (atLeast(e.minimumKernel!)) expect(e.missingConfig).toMatch(/^CONFIG_/);
      }
    }
  });

  it('a missing kprobe facility is reported as CONFIG_KPROBES, not as an old kernel', (ctx) => {
    requireRoot(ctx);
    try {
      features.haveKprobes();
    } catch (err) {
      expect((err as NotSupportedError).missingConfig).toBe('CONFIG_KPROBES');
      return;
    }
    expect(existsSync('/sys/bus/event_source/devices/kprobe/type') || existsSync('/sys/kernel/tracing/kprobe_events')).toBe(true);
  });
});
