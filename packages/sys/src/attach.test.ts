import { describe, expect, it } from 'vitest';
import { encodeProgAttachAttr, encodeProgQueryAttr } from './attach.js';
import { layout } from './testing/kernel.js';

describe('PROG_ATTACH / PROG_DETACH / PROG_QUERY layouts (inventory §3.1.5)', () => {
  it('PROG_ATTACH: target @0, attach_bpf_fd @4, attach_type @8, flags @12, replace @16, relative @20, revision @24', () => {
    expect(
      encodeProgAttachAttr({
        targetFd: 10,
        attachBpfFd: 11,
        attachType: 1,
        attachFlags: 6,
        replaceBpfFd: 12,
        relativeId: 13,
        expectedRevision: 14n,
      }),
    ).toEqual(
      layout(32, [
        [0, 4, 10],
        [4, 4, 11],
        [8, 4, 1],
        [12, 4, 6],
        [16, 4, 12],
        [20, 4, 13],
        [24, 8, 14n],
      ]),
    );
  });

  it('PROG_QUERY: target @0, attach_type @4, query_flags @8, prog_ids @16, count @24, flags arrays @32/@48, link_ids @40', () => {
    expect(
      encodeProgQueryAttr({
        targetFd: 5,
        attachType: 46,
        queryFlags: 1,
        progIds: 0x1000n,
        count: 8,
        progAttachFlags: 0x2000n,
        linkIds: 0x3000n,
        linkAttachFlags: 0x4000n,
      }),
    ).toEqual(
      layout(64, [
        [0, 4, 5],
        [4, 4, 46],
        [8, 4, 1],
        [16, 8, 0x1000n],
        [24, 4, 8],
        [32, 8, 0x2000n],
        [40, 8, 0x3000n],
        [48, 8, 0x4000n],
      ]),
    );
  });
});
