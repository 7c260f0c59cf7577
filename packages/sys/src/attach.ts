import { InvalidArgumentError } from '@bpfkit/errors';
import { AttrWriter } from './attr.js';
import { bpf } from './bpf.js';
import { Cmd } from './constants.js';
import { fdOf, resolveOwners, type FdLike, type WithOwners } from './fd.js';
import { addressOf } from './libc.js';

/** BPF_PROG_ATTACH / BPF_PROG_DETACH attr. `relativeFd` and `relativeId` share one slot. */
export interface ProgAttachAttr {
  targetFd: number;
  attachBpfFd?: number;
  attachType: number;
  attachFlags?: number;
  replaceBpfFd?: number;
  relativeFd?: number;
  relativeId?: number;
  expectedRevision?: number | bigint;
}

export const PROG_ATTACH_ATTR_SIZE = 32;

export function encodeProgAttachAttr(a: ProgAttachAttr): Uint8Array {
  if (a.relativeFd !== undefined && a.relativeId !== undefined) {
    throw new InvalidArgumentError('relativeId', 'relativeFd and relativeId are mutually exclusive');
  }
  return new AttrWriter(PROG_ATTACH_ATTR_SIZE)
    .u32(0, a.targetFd, 'targetFd')
    .u32(4, a.attachBpfFd, 'attachBpfFd')
    .u32(8, a.attachType, 'attachType')
    .u32(12, a.attachFlags, 'attachFlags')
    .u32(16, a.replaceBpfFd, 'replaceBpfFd')
    .u32(20, a.relativeFd ?? a.relativeId, 'relativeFd')
    .u64(24, a.expectedRevision, 'expectedRevision').bytes;
}

const ATTACH_FDS = ['targetFd', 'attachBpfFd', 'replaceBpfFd', 'relativeFd'] as const;

/** What progAttach takes: ProgAttachAttr whose fds may be their owners (`{ fd }`). */
export type ProgAttachOptions = WithOwners<ProgAttachAttr, (typeof ATTACH_FDS)[number]>;

/** BPF_PROG_ATTACH (cgroups, sockmaps, flow dissector, TCX/netkit without a link...). */
export function progAttach(a: ProgAttachOptions): void {
  bpf(Cmd.ProgAttach, encodeProgAttachAttr(resolveOwners(a, ATTACH_FDS)));
}

/** BPF_PROG_DETACH; `replaceBpfFd` is ignored by the kernel here. */
export function progDetach(a: Omit<ProgAttachOptions, 'replaceBpfFd'>): void {
  bpf(Cmd.ProgDetach, encodeProgAttachAttr(resolveOwners(a as ProgAttachOptions, ATTACH_FDS)));
}

/** BPF_PROG_QUERY attr; pointers already resolved. */
export interface ProgQueryAttr {
  targetFd: number;
  attachType: number;
  queryFlags?: number;
  progIds?: bigint;
  count?: number;
  progAttachFlags?: bigint;
  linkIds?: bigint;
  linkAttachFlags?: bigint;
}

export const PROG_QUERY_ATTR_SIZE = 64;

export function encodeProgQueryAttr(a: ProgQueryAttr): Uint8Array {
  return new AttrWriter(PROG_QUERY_ATTR_SIZE)
    .u32(0, a.targetFd, 'targetFd')
    .u32(4, a.attachType, 'attachType')
    .u32(8, a.queryFlags, 'queryFlags')
    .u64(16, a.progIds, 'progIds')
    .u32(24, a.count, 'count')
    .u64(32, a.progAttachFlags, 'progAttachFlags')
    .u64(40, a.linkIds, 'linkIds')
    .u64(48, a.linkAttachFlags, 'linkAttachFlags').bytes;
}

export interface ProgQueryOptions {
  targetFd: FdLike;
  attachType: number;
  queryFlags?: number;
  /** Receive arrays; all given ones must have the same length (the capacity). */
  progIds?: Uint32Array;
  progAttachFlags?: Uint32Array;
  linkIds?: Uint32Array;
  linkAttachFlags?: Uint32Array;
}

export interface ProgQueryResult {
  attachFlags: number;
  /** How many programs are attached (may exceed the arrays' capacity). */
  count: number;
  revision: bigint;
}

const addr = (a: Uint32Array | undefined): bigint | undefined =>
  a && a.length > 0 ? addressOf(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) : undefined;

/** BPF_PROG_QUERY: the programs attached at a hook. */
export function progQuery(o: ProgQueryOptions): ProgQueryResult {
  const arrays = [o.progIds, o.progAttachFlags, o.linkIds, o.linkAttachFlags].filter((a) => a !== undefined);
  const capacity = arrays[0]?.length ?? 0;
  if (arrays.some((a) => a.length !== capacity)) {
    throw new InvalidArgumentError('progIds', 'all receive arrays must have the same length');
  }
  const attr = encodeProgQueryAttr({
    targetFd: fdOf(o.targetFd, 'targetFd'),
    attachType: o.attachType,
    queryFlags: o.queryFlags,
    progIds: addr(o.progIds),
    count: capacity,
    progAttachFlags: addr(o.progAttachFlags),
    linkIds: addr(o.linkIds),
    linkAttachFlags: addr(o.linkAttachFlags),
  });
  bpf(Cmd.ProgQuery, attr, attr.byteLength, arrays);
  const v = new DataView(attr.buffer);
  return { attachFlags: v.getUint32(12, true), count: v.getUint32(24, true), revision: v.getBigUint64(56, true) };
}
