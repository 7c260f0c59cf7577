import { InvalidArgumentError } from '@bpfkit/errors';
import { AttrWriter, cString, toU64 } from './attr.js';
import { bpf, bpfFD } from './bpf.js';
import { AttachType, Cmd } from './constants.js';
import { fdOf, resolveOwners, type FD, type FdLike, type WithOwners } from './fd.js';
import { addressOf } from './libc.js';

/** The common header of BPF_LINK_CREATE; `targetFd` and `targetIfindex` share one slot. */
interface LinkCreateHeader {
  progFd: number;
  targetFd?: number;
  targetIfindex?: number;
  attachType: number;
  flags?: number;
}

/**
 * The `link_create` union, one variant per cilium LinkCreate*Attr. Pointer fields are
 * addresses here; `linkCreate` builds them from arrays.
 */
export type LinkCreateAttr = LinkCreateHeader &
  (
    | { kind: 'generic'; targetBtfId?: number }
    | { kind: 'iter'; iterInfo?: bigint; iterInfoLen?: number }
    | { kind: 'perfEvent'; bpfCookie?: number | bigint }
    | { kind: 'kprobeMulti'; kprobeMultiFlags?: number; cnt: number; syms?: bigint; addrs?: bigint; cookies?: bigint }
    | { kind: 'tracing'; targetBtfId?: number; cookie?: number | bigint }
    | { kind: 'tcx' | 'netkit'; relativeFd?: number; relativeId?: number; expectedRevision?: number | bigint }
    | { kind: 'netfilter'; pf: number; hooknum: number; priority: number; netfilterFlags?: number }
    | {
        kind: 'uprobeMulti';
        path: bigint;
        offsets: bigint;
        refCtrOffsets?: bigint;
        cookies?: bigint;
        cnt: number;
        uprobeMultiFlags?: number;
        pid?: number;
      }
  );

export const LINK_CREATE_ATTR_SIZE = 64;

export function encodeLinkCreateAttr(a: LinkCreateAttr): Uint8Array {
  if (a.targetFd !== undefined && a.targetIfindex !== undefined) {
    throw new InvalidArgumentError('targetIfindex', 'targetFd and targetIfindex are mutually exclusive');
  }
  const w = new AttrWriter(LINK_CREATE_ATTR_SIZE)
    .u32(0, a.progFd, 'progFd')
    .u32(4, a.targetFd ?? a.targetIfindex, 'targetFd')
    .u32(8, a.attachType, 'attachType')
    .u32(12, a.flags, 'flags');
  switch (a.kind) {
    case 'generic':
      return w.u32(16, a.targetBtfId, 'targetBtfId').bytes;
    case 'iter':
      return w.u64(16, a.iterInfo, 'iterInfo').u32(24, a.iterInfoLen, 'iterInfoLen').bytes;
    case 'perfEvent':
      return w.u64(16, a.bpfCookie, 'bpfCookie').bytes;
    case 'kprobeMulti':
      return w
        .u32(16, a.kprobeMultiFlags, 'kprobeMultiFlags')
        .u32(20, a.cnt, 'cnt')
        .u64(24, a.syms, 'syms')
        .u64(32, a.addrs, 'addrs')
        .u64(40, a.cookies, 'cookies').bytes;
    case 'tracing':
      return w.u32(16, a.targetBtfId, 'targetBtfId').u64(24, a.cookie, 'cookie').bytes;
    case 'tcx':
    case 'netkit':
      if (a.relativeFd !== undefined && a.relativeId !== undefined) {
        throw new InvalidArgumentError('relativeId', 'relativeFd and relativeId are mutually exclusive');
      }
      return w.u32(16, a.relativeFd ?? a.relativeId, 'relativeFd').u64(24, a.expectedRevision, 'expectedRevision').bytes;
    case 'netfilter':
      return w
        .u32(16, a.pf, 'pf')
        .u32(20, a.hooknum, 'hooknum')
        .s32(24, a.priority, 'priority')
        .u32(28, a.netfilterFlags, 'netfilterFlags').bytes;
    case 'uprobeMulti':
      return w
        .u64(16, a.path, 'path')
        .u64(24, a.offsets, 'offsets')
        .u64(32, a.refCtrOffsets, 'refCtrOffsets')
        .u64(40, a.cookies, 'cookies')
        .u32(48, a.cnt, 'cnt')
        .u32(52, a.uprobeMultiFlags, 'uprobeMultiFlags')
        .u32(56, a.pid, 'pid').bytes;
  }
}

type U64s = readonly (number | bigint)[];

/** The header `linkCreate` takes: fds as raw numbers or as their owners. */
export type LinkCreateOptionsHeader = WithOwners<LinkCreateHeader, 'progFd' | 'targetFd'>;

/**
 * What `linkCreate` takes: LinkCreateAttr with arrays and strings in place of pointers. `kind`
 * follows from `attachType` (LINK_KIND) and may be left out; an explicit kind still wins.
 */
export type LinkCreateOptions = LinkCreateOptionsHeader &
  (
    | { kind?: 'generic'; targetBtfId?: number }
    | { kind?: 'iter'; iterInfo?: Uint8Array }
    | { kind?: 'perfEvent'; bpfCookie?: number | bigint }
    | { kind?: 'kprobeMulti'; kprobeMultiFlags?: number; syms?: readonly string[]; addrs?: U64s; cookies?: U64s }
    | { kind?: 'tracing'; targetBtfId?: number; cookie?: number | bigint }
    | { kind?: 'tcx' | 'netkit'; relativeFd?: FdLike; relativeId?: number; expectedRevision?: number | bigint }
    | { kind?: 'netfilter'; pf: number; hooknum: number; priority: number; netfilterFlags?: number }
    | {
        kind?: 'uprobeMulti';
        path: string;
        offsets: U64s;
        refCtrOffsets?: U64s;
        cookies?: U64s;
        uprobeMultiFlags?: number;
        pid?: number;
      }
    | { kind: 'structOps'; mapFd: FdLike }
  );

/** The `link_create` variants `linkCreate` knows. */
export type LinkCreateKind = NonNullable<LinkCreateOptions['kind']>;

/** The variant each attach type uses; attach types not listed use 'generic'. */
export const LINK_KIND: Readonly<Partial<Record<AttachType, LinkCreateKind>>> = {
  [AttachType.TraceIter]: 'iter',
  [AttachType.PerfEvent]: 'perfEvent',
  [AttachType.TraceKprobeMulti]: 'kprobeMulti',
  [AttachType.TraceKprobeSession]: 'kprobeMulti',
  [AttachType.TraceRawTp]: 'tracing',
  [AttachType.TraceFEntry]: 'tracing',
  [AttachType.TraceFExit]: 'tracing',
  [AttachType.ModifyReturn]: 'tracing',
  [AttachType.LSMMac]: 'tracing',
  [AttachType.TCXIngress]: 'tcx',
  [AttachType.TCXEgress]: 'tcx',
  [AttachType.NetkitPrimary]: 'netkit',
  [AttachType.NetkitPeer]: 'netkit',
  [AttachType.Netfilter]: 'netfilter',
  [AttachType.TraceUprobeMulti]: 'uprobeMulti',
  [AttachType.TraceUprobeSession]: 'uprobeMulti',
};

/** The fields a derived variant needs; without them the generic layout is used, as before. */
const REQUIRED: Partial<Record<LinkCreateKind, (o: Record<string, unknown>) => boolean>> = {
  kprobeMulti: (o) => o.syms !== undefined || o.addrs !== undefined,
  uprobeMulti: (o) => o.path !== undefined && o.offsets !== undefined,
  netfilter: (o) => o.pf !== undefined,
};

/**
 * The variant of `o`: its own kind, else its attach type's. A generic targetBtfId, or a variant's
 * required fields missing, keeps 'generic'.
 */
export function linkCreateKind(o: { kind?: LinkCreateKind; attachType: number; targetBtfId?: number }): LinkCreateKind {
  if (o.kind !== undefined) return o.kind;
  const kind = LINK_KIND[o.attachType as AttachType] ?? 'generic';
  if (o.targetBtfId !== undefined && kind !== 'tracing') return 'generic';
  return REQUIRED[kind]?.(o as Record<string, unknown>) === false ? 'generic' : kind;
}

type Variant<K extends LinkCreateKind> = LinkCreateOptionsHeader & Extract<LinkCreateOptions, { kind?: K }>;

/** A packed `u64[]` for pointer fields; empty arrays become NULL. */
function u64Array(values: U64s | undefined, field: string): Uint8Array | undefined {
  if (!values || values.length === 0) return undefined;
  const out = new BigUint64Array(values.length);
  values.forEach((v, i) => (out[i] = toU64(v, `${field}[${i}]`)));
  return new Uint8Array(out.buffer);
}

const addr = (b: Uint8Array | undefined): bigint | undefined => (b ? addressOf(b) : undefined);

function sameLength(field: string, arr: U64s | undefined, want: number): void {
  if (arr && arr.length > 0 && arr.length !== want) {
    throw new InvalidArgumentError(field, `have ${arr.length} entries but want ${want}`);
  }
}

/** BPF_LINK_CREATE, any variant. Returns the link's fd. */
export function linkCreate(options: LinkCreateOptions): FD {
  const keep: unknown[] = [];
  const hold = <T>(x: T): T => (keep.push(x), x);
  const kind = linkCreateKind(options as { kind?: LinkCreateKind; attachType: number; targetBtfId?: number });
  const header = {
    progFd: kind === 'structOps' ? -1 : fdOf(options.progFd, 'progFd'),
    targetFd: options.targetFd === undefined ? undefined : fdOf(options.targetFd, 'targetFd'),
    targetIfindex: options.targetIfindex,
    attachType: options.attachType,
    flags: options.flags,
  };
  let attr: LinkCreateAttr;
  switch (kind) {
    case 'generic': {
      const o = options as Variant<'generic'>;
      attr = { ...header, kind: 'generic', targetBtfId: o.targetBtfId };
      break;
    }
    case 'structOps': {
      const o = options as Variant<'structOps'>;
      // The kernel reads link_create.map_fd, which aliases prog_fd.
      attr = { ...header, progFd: fdOf(o.mapFd, 'mapFd'), kind: 'generic' };
      break;
    }
    case 'iter': {
      const o = options as Variant<'iter'>;
      attr = { ...header, kind: 'iter', iterInfo: addr(hold(o.iterInfo)), iterInfoLen: o.iterInfo?.byteLength };
      break;
    }
    case 'perfEvent': {
      const o = options as Variant<'perfEvent'>;
      attr = { ...header, kind: 'perfEvent', bpfCookie: o.bpfCookie };
      break;
    }
    case 'kprobeMulti': {
      const o = options as Variant<'kprobeMulti'>;
      const cnt = o.syms?.length || o.addrs?.length || 0;
      if (cnt === 0) throw new InvalidArgumentError('syms', 'one of syms or addrs is required');
      if (o.syms?.length && o.addrs?.length) throw new InvalidArgumentError('addrs', 'syms and addrs are mutually exclusive');
      sameLength('cookies', o.cookies, cnt);
      let syms: bigint | undefined;
      if (o.syms?.length) {
        const strings = o.syms.map((s) => hold(cString(s)));
        syms = addr(hold(u64Array(strings.map((s) => addressOf(s)), 'syms')));
      }
      attr = {
        ...header,
        kind: 'kprobeMulti',
        kprobeMultiFlags: o.kprobeMultiFlags,
        cnt,
        syms,
        addrs: addr(hold(u64Array(o.addrs, 'addrs'))),
        cookies: addr(hold(u64Array(o.cookies, 'cookies'))),
      };
      break;
    }
    case 'tracing': {
      const o = options as Variant<'tracing'>;
      attr = { ...header, kind: 'tracing', targetBtfId: o.targetBtfId, cookie: o.cookie };
      break;
    }
    case 'tcx':
    case 'netkit': {
      const o = options as Variant<'tcx' | 'netkit'>;
      const relativeFd = o.relativeFd === undefined ? undefined : fdOf(o.relativeFd, 'relativeFd');
      attr = { ...header, kind, relativeFd, relativeId: o.relativeId, expectedRevision: o.expectedRevision };
      break;
    }
    case 'netfilter': {
      const o = options as Variant<'netfilter'>;
      attr = { ...header, kind: 'netfilter', pf: o.pf, hooknum: o.hooknum, priority: o.priority, netfilterFlags: o.netfilterFlags };
      break;
    }
    case 'uprobeMulti': {
      const o = options as Variant<'uprobeMulti'>;
      const cnt = o.offsets.length;
      if (cnt === 0) throw new InvalidArgumentError('offsets', 'at least one offset is required');
      sameLength('refCtrOffsets', o.refCtrOffsets, cnt);
      sameLength('cookies', o.cookies, cnt);
      attr = {
        ...header,
        kind: 'uprobeMulti',
        path: addressOf(hold(cString(o.path))),
        offsets: addressOf(hold(u64Array(o.offsets, 'offsets')!)),
        refCtrOffsets: addr(hold(u64Array(o.refCtrOffsets, 'refCtrOffsets'))),
        cookies: addr(hold(u64Array(o.cookies, 'cookies'))),
        cnt,
        uprobeMultiFlags: o.uprobeMultiFlags,
        pid: o.pid,
      };
      break;
    }
  }
  return bpfFD(Cmd.LinkCreate, encodeLinkCreateAttr(attr), 'link', keep);
}

/** BPF_LINK_UPDATE attr. */
export interface LinkUpdateAttr {
  linkFd: number;
  newProgFd: number;
  flags?: number;
  oldProgFd?: number;
}

export const LINK_UPDATE_ATTR_SIZE = 16;

export function encodeLinkUpdateAttr(a: LinkUpdateAttr): Uint8Array {
  return new AttrWriter(LINK_UPDATE_ATTR_SIZE)
    .u32(0, a.linkFd, 'linkFd')
    .u32(4, a.newProgFd, 'newProgFd')
    .u32(8, a.flags, 'flags')
    .u32(12, a.oldProgFd, 'oldProgFd').bytes;
}

/** BPF_LINK_UPDATE: swap the link's program (with BPF_F_REPLACE, only if it is `oldProgFd`). */
export function linkUpdate(a: WithOwners<LinkUpdateAttr, 'linkFd' | 'newProgFd' | 'oldProgFd'>): void {
  bpf(Cmd.LinkUpdate, encodeLinkUpdateAttr(resolveOwners(a, ['linkFd', 'newProgFd', 'oldProgFd'])));
}

/** BPF_LINK_DETACH: the link stays open but no longer attached. */
export function linkDetach(link: FdLike): void {
  bpf(Cmd.LinkDetach, new AttrWriter(4).u32(0, fdOf(link, 'linkFd'), 'linkFd').bytes);
}

/** BPF_RAW_TRACEPOINT_OPEN attr. */
export interface RawTracepointOpenAttr {
  name?: bigint;
  progFd: number;
  cookie?: number | bigint;
}

export const RAW_TRACEPOINT_OPEN_ATTR_SIZE = 24;

export function encodeRawTracepointOpenAttr(a: RawTracepointOpenAttr): Uint8Array {
  return new AttrWriter(RAW_TRACEPOINT_OPEN_ATTR_SIZE)
    .u64(0, a.name, 'name')
    .u32(8, a.progFd, 'progFd')
    .u64(16, a.cookie, 'cookie').bytes;
}

/**
 * BPF_RAW_TRACEPOINT_OPEN: attaches a raw tracepoint program to `name`, or (name omitted) a
 * tracing/LSM program to the target it was loaded for. The cookie needs kernel 6.10.
 */
export function rawTracepointOpen(o: { name?: string; progFd: FdLike; cookie?: number | bigint }): FD {
  const name = o.name === undefined ? undefined : cString(o.name);
  const attr = encodeRawTracepointOpenAttr({
    name: name ? addressOf(name) : undefined,
    progFd: fdOf(o.progFd, 'progFd'),
    cookie: o.cookie,
  });
  return bpfFD(Cmd.RawTracepointOpen, attr, 'raw_tracepoint', [name]);
}
