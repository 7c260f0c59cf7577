import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@bpfkit/errors';
import { progAttach } from './attach.js';
import { AttachType } from './constants.js';
import {
  encodeLinkCreateAttr,
  encodeLinkUpdateAttr,
  encodeRawTracepointOpenAttr,
  LINK_CREATE_ATTR_SIZE,
  linkCreate,
  linkCreateKind,
  linkDetach,
  linkUpdate,
} from './link.js';
import { layout } from './testing/kernel.js';

const P = 0x1122334455667788n; // a recognisable pointer value
const Q = 0x99aabbccddeeff00n;
const R = 0x0102030405060708n;
const head = { progFd: 7, targetFd: 9, attachType: 46, flags: 0x20 };
const headFields: [number, 4, number][] = [
  [0, 4, 7],
  [4, 4, 9],
  [8, 4, 46],
  [12, 4, 0x20],
];

describe('BPF_LINK_CREATE layouts (inventory §3.1.5)', () => {
  it('is 64 bytes for every variant', () => expect(LINK_CREATE_ATTR_SIZE).toBe(64));

  it('generic: target_btf_id @16', () => {
    expect(encodeLinkCreateAttr({ ...head, kind: 'generic', targetBtfId: 1234 })).toEqual(
      layout(64, [...headFields, [16, 4, 1234]]),
    );
  });

  it('iter: iter_info ptr @16, iter_info_len @24', () => {
    expect(encodeLinkCreateAttr({ ...head, kind: 'iter', iterInfo: P, iterInfoLen: 4 })).toEqual(
      layout(64, [...headFields, [16, 8, P], [24, 4, 4]]),
    );
  });

  it('perf_event: bpf_cookie u64 @16', () => {
    expect(encodeLinkCreateAttr({ ...head, kind: 'perfEvent', bpfCookie: 0xdeadbeefcafen })).toEqual(
      layout(64, [...headFields, [16, 8, 0xdeadbeefcafen]]),
    );
  });

  it('kprobe_multi: flags @16, cnt @20, syms @24, addrs @32, cookies @40', () => {
    expect(
      encodeLinkCreateAttr({ ...head, kind: 'kprobeMulti', kprobeMultiFlags: 1, cnt: 3, syms: P, addrs: Q, cookies: R }),
    ).toEqual(layout(64, [...headFields, [16, 4, 1], [20, 4, 3], [24, 8, P], [32, 8, Q], [40, 8, R]]));
  });

  it('tracing: target_btf_id @16, cookie @24', () => {
    expect(encodeLinkCreateAttr({ ...head, kind: 'tracing', targetBtfId: 77, cookie: 5n })).toEqual(
      layout(64, [...headFields, [16, 4, 77], [24, 8, 5n]]),
    );
  });

  it('tcx and netkit: relative_fd/id @16, expected_revision @24', () => {
    for (const kind of ['tcx', 'netkit'] as const) {
      expect(encodeLinkCreateAttr({ ...head, kind, relativeId: 42, expectedRevision: 9n })).toEqual(
        layout(64, [...headFields, [16, 4, 42], [24, 8, 9n]]),
      );
    }
  });

  it('netfilter: pf @16, hooknum @20, priority s32 @24, flags @28', () => {
    expect(
      encodeLinkCreateAttr({ ...head, kind: 'netfilter', pf: 2, hooknum: 1, priority: -128, netfilterFlags: 1 }),
    ).toEqual(layout(64, [...headFields, [16, 4, 2], [20, 4, 1], [24, 4, -128], [28, 4, 1]]));
  });

  it('uprobe_multi: path @16, offsets @24, ref_ctr_offsets @32, cookies @40, cnt @48, flags @52, pid @56', () => {
    expect(
      encodeLinkCreateAttr({
        ...head,
        kind: 'uprobeMulti',
        path: P,
        offsets: Q,
        refCtrOffsets: R,
        cookies: P + 1n,
        cnt: 2,
        uprobeMultiFlags: 1,
        pid: 4242,
      }),
    ).toEqual(
      layout(64, [...headFields, [16, 8, P], [24, 8, Q], [32, 8, R], [40, 8, P + 1n], [48, 4, 2], [52, 4, 1], [56, 4, 4242]]),
    );
  });

  it('rejects out-of-range and conflicting fields before any syscall', () => {
    expect(() => encodeLinkCreateAttr({ ...head, progFd: -1, kind: 'generic' })).toThrow(InvalidArgumentError);
    expect(() => encodeLinkCreateAttr({ ...head, kind: 'netfilter', pf: 2, hooknum: 1, priority: 2 ** 31 })).toThrow(
      /signed 32-bit/,
    );
    expect(() => encodeLinkCreateAttr({ ...head, targetIfindex: 3, kind: 'generic' })).toThrow(/mutually exclusive/);
    expect(() => encodeLinkCreateAttr({ ...head, kind: 'tcx', relativeFd: 1, relativeId: 2 })).toThrow(/mutually exclusive/);
    expect(() => encodeLinkCreateAttr({ ...head, kind: 'perfEvent', bpfCookie: -1n })).toThrow(/64-bit/);
  });
});

describe('other link command layouts', () => {
  it('LINK_UPDATE: link_fd @0, new_prog_fd @4, flags @8, old_prog_fd @12 (16 bytes)', () => {
    expect(encodeLinkUpdateAttr({ linkFd: 3, newProgFd: 4, flags: 4, oldProgFd: 5 })).toEqual(
      layout(16, [
        [0, 4, 3],
        [4, 4, 4],
        [8, 4, 4],
        [12, 4, 5],
      ]),
    );
  });

  it('RAW_TRACEPOINT_OPEN: name ptr @0, prog_fd @8, cookie @16 (24 bytes)', () => {
    expect(encodeRawTracepointOpenAttr({ name: P, progFd: 6, cookie: 3n })).toEqual(
      layout(24, [
        [0, 8, P],
        [8, 4, 6],
        [16, 8, 3n],
      ]),
    );
  });
});

describe('linkCreate kinds and owners', () => {
  it('derives the link_create variant from the attach type; an explicit kind or a generic targetBtfId wins', () => {
    expect(linkCreateKind({ attachType: AttachType.TCXIngress })).toBe('tcx');
    expect(linkCreateKind({ attachType: AttachType.NetkitPeer })).toBe('netkit');
    expect(linkCreateKind({ attachType: AttachType.TraceIter })).toBe('iter');
    expect(linkCreateKind({ attachType: AttachType.PerfEvent })).toBe('perfEvent');
    expect(linkCreateKind({ attachType: AttachType.TraceKprobeSession, syms: ['f'] } as never)).toBe('kprobeMulti');
    expect(linkCreateKind({ attachType: AttachType.TraceUprobeMulti, path: '/bin/sh', offsets: [1] } as never)).toBe('uprobeMulti');
    expect(linkCreateKind({ attachType: AttachType.Netfilter, pf: 2 } as never)).toBe('netfilter');
    expect(linkCreateKind({ attachType: AttachType.TraceFEntry, targetBtfId: 5 })).toBe('tracing');
    expect(linkCreateKind({ attachType: AttachType.CGroupInetIngress })).toBe('generic');
    expect(linkCreateKind({ attachType: AttachType.XDP })).toBe('generic');
    expect(linkCreateKind({ attachType: AttachType.TCXIngress, targetBtfId: 5 })).toBe('generic');
    expect(linkCreateKind({ kind: 'generic', attachType: AttachType.TCXIngress })).toBe('generic');
    expect(linkCreateKind({ attachType: AttachType.TraceUprobeMulti })).toBe('generic');
    expect(linkCreateKind({ attachType: AttachType.TraceKprobeMulti })).toBe('generic');
  });

  it('takes owners for fds and fails on a closed one before any syscall, naming it', () => {
    const closed = { fd: -1, label: 'prog' };
    expect(() => linkCreate({ progFd: closed, targetIfindex: 1, attachType: AttachType.TCXIngress })).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError', argument: 'progFd', message: 'invalid progFd: prog closed' }),
    );
    expect(() => linkCreate({ progFd: 3, targetIfindex: 1, attachType: AttachType.TCXIngress, relativeFd: { fd: -1 } })).toThrow(
      expect.objectContaining({ argument: 'relativeFd', message: 'invalid relativeFd: object closed' }),
    );
    expect(() => progAttach({ targetFd: { fd: -1 }, attachBpfFd: 3, attachType: AttachType.CGroupInetIngress })).toThrow(
      expect.objectContaining({ argument: 'targetFd' }),
    );
    expect(() => linkDetach({ fd: -1 })).toThrow(expect.objectContaining({ argument: 'linkFd' }));
    expect(() => linkUpdate({ linkFd: 3, newProgFd: { fd: -1 } })).toThrow(expect.objectContaining({ argument: 'newProgFd' }));
  });
});
