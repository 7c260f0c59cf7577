import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkFdLeaks, readCounter, requireFeature, requireRoot } from '@bpfkit/testing';
import { AttachType, LinkType, MapType, PerfEvent, PerfEventType, PerfType, ProgType } from './constants.js';
import { haveBPFLinkPerfEvent } from './features.js';
import { compareVersions, kernelVersion } from './probe.js';
import { linkInfo } from './info.js';
import { gettid } from './libc.js';
import { linkCreate } from './link.js';
import { mapCreate, mapLookupElem } from './map.js';
import { encodePerfEventAttr, perfEventEnable, perfEventOpen, perfEventSetBpf } from './perf.js';
import { progLoad } from './prog.js';
import { counterInsns, layout } from './testing/kernel.js';

describe('perf_event_attr layout (inventory §3.2)', () => {
  it('type @0, size @4, config @8, sample_period @16, sample_type @24, flags @40, wakeup @48, config1 @56, config2 @64', () => {
    expect(
      encodePerfEventAttr({
        type: 8,
        size: 72,
        config: (1n << 32n) | 1n,
        samplePeriod: 1,
        sampleType: PerfEvent.SampleRaw,
        flags: 1,
        wakeupEvents: 1,
        config1: 0x1122334455667788n,
        config2: 0x40,
      }),
    ).toEqual(
      layout(136, [
        [0, 4, 8],
        [4, 4, 72],
        [8, 8, (1n << 32n) | 1n],
        [16, 8, 1],
        [24, 8, 0x400],
        [40, 8, 1],
        [48, 4, 1],
        [56, 8, 0x1122334455667788n],
        [64, 8, 0x40],
      ]),
    );
  });

  it('the ioctl numbers are the x86/arm64 encodings', () => {
    expect(PerfEvent.IocSetBpf).toBe(0x40042408);
    expect(PerfEvent.IocEnable).toBe(0x2400);
  });
});

describe('tracepoint perf events on the real kernel', () => {
  checkFdLeaks();

  const tracepointId = (name: string) => Number(readFileSync(`/sys/kernel/tracing/events/syscalls/${name}/id`, 'utf8'));

  function openGettid(): ReturnType<typeof perfEventOpen> {
    // pid 0 / cpu -1: only this process's own system calls are counted.
    return perfEventOpen(
      { type: PerfType.Tracepoint, config: tracepointId('sys_enter_gettid'), samplePeriod: 1, sampleType: PerfEvent.SampleRaw, wakeupEvents: 1 },
      0,
      -1,
    );
  }

  it('a tracepoint program set with PERF_EVENT_IOC_SET_BPF counts each gettid() and stops when the event closes', (ctx) => {
    requireRoot(ctx);
    using map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
    using prog = progLoad({ progType: ProgType.TracePoint, insns: counterInsns(map.fd), license: 'GPL' });
    const count = () => readCounter((k, v) => mapLookupElem(map.fd, k, v));
    const event = openGettid();
    perfEventSetBpf(event.fd, prog.fd);
    perfEventEnable(event.fd);
    for (let i = 0; i < 7; i++) gettid();
    expect(count()).toBe(7n);
    event.close();
    gettid();
    expect(count()).toBe(7n);
  });

  it('a perf_event bpf_link does the same and reports its tracepoint in the link info', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, haveBPFLinkPerfEvent);
    using map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
    using prog = progLoad({ progType: ProgType.TracePoint, insns: counterInsns(map.fd), license: 'GPL' });
    const count = () => readCounter((k, v) => mapLookupElem(map.fd, k, v));
    using event = openGettid();
    const link = linkCreate({ kind: 'perfEvent', progFd: prog.fd, targetFd: event.fd, attachType: AttachType.PerfEvent, bpfCookie: 42n });
    for (let i = 0; i < 3; i++) gettid();
    expect(count()).toBe(3n);
    const info = linkInfo(link.fd);
    expect(info.type).toBe(LinkType.PerfEvent);
    // perf_event link info came in 6.6; older kernels report an unspecified event.
    if (compareVersions(kernelVersion(), '6.6') >= 0) {
      expect(info.perfEvent).toMatchObject({ type: PerfEventType.Tracepoint, tpName: 'sys_enter_gettid', cookie: 42n });
    } else {
      expect(info.perfEvent).toEqual({ type: PerfEventType.Unspecified });
    }
    link.close();
    gettid();
    expect(count()).toBe(3n);
  });

  it('a bad tracepoint id is an error from perf_event_open', (ctx) => {
    requireRoot(ctx);
    expect(() => perfEventOpen({ type: PerfType.Tracepoint, config: 0xfffffff }, 0, -1)).toThrow(
      expect.objectContaining({ syscall: 'perf_event_open' }),
    );
  });
});

describe('perf_event_attr bits by name', () => {
  it('encodes named bits into the flags word at @40, OR-ed with a raw flags value', () => {
    const word = (1n << 0n) | (1n << 5n) | (1n << 14n) | (2n << 15n) | (1n << 37n);
    expect(encodePerfEventAttr({ type: 1, bits: { disabled: true, excludeKernel: true, watermark: true, preciseIp: 2, sigtrap: true } })).toEqual(
      layout(136, [
        [0, 4, 1],
        [40, 8, word],
      ]),
    );
    expect(encodePerfEventAttr({ type: 1, flags: 1 << 1, bits: { disabled: true } })).toEqual(encodePerfEventAttr({ type: 1, flags: 0b11 }));
    expect(encodePerfEventAttr({ type: 1, bits: { disabled: false } })).toEqual(encodePerfEventAttr({ type: 1 }));
  });

  it('rejects a precise_ip outside 0..3', () => {
    expect(() => encodePerfEventAttr({ type: 1, bits: { preciseIp: 4 as 3 } })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'bits.preciseIp' }));
  });
});
