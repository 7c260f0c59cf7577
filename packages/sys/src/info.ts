import { AttrReader, AttrWriter } from './attr.js';
import { holding } from './bpf.js';
import { LinkType, OBJ_NAME_LEN, PerfEventType } from './constants.js';
import { addressOf } from './libc.js';
import { objGetInfoByFd } from './obj.js';

/** `struct bpf_prog_info`, the fields bpfkit reads. */
export interface ProgInfo {
  type: number;
  id: number;
  /** The program tag, 16 hex digits. */
  tag: string;
  jitedProgLen: number;
  xlatedProgLen: number;
  /** Nanoseconds since boot. */
  loadTime: bigint;
  createdByUid: number;
  mapIds: number[];
  name: string;
  ifindex: number;
  gplCompatible: boolean;
  btfId: number;
  runTimeNs: bigint;
  runCnt: bigint;
  recursionMisses: bigint;
  verifiedInsns: number;
  attachBtfObjId: number;
  attachBtfId: number;
}

export const PROG_INFO_SIZE = 232;

export function decodeProgInfo(buf: Uint8Array, mapIds: Uint32Array = new Uint32Array(0)): ProgInfo {
  const r = new AttrReader(buf);
  const tag = Array.from(buf.subarray(8, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  const nrMapIds = r.u32(52);
  return {
    type: r.u32(0),
    id: r.u32(4),
    tag,
    jitedProgLen: r.u32(16),
    xlatedProgLen: r.u32(20),
    loadTime: r.u64(40),
    createdByUid: r.u32(48),
    mapIds: Array.from(mapIds.subarray(0, Math.min(nrMapIds, mapIds.length))),
    name: r.cstr(64, OBJ_NAME_LEN),
    ifindex: r.u32(80),
    gplCompatible: (r.u32(84) & 1) === 1,
    btfId: r.u32(128),
    runTimeNs: r.u64(192),
    runCnt: r.u64(200),
    recursionMisses: r.u64(208),
    verifiedInsns: r.u32(216),
    attachBtfObjId: r.u32(220),
    attachBtfId: r.u32(224),
  };
}

/** OBJ_GET_INFO_BY_FD for a program, with its map IDs (two calls when it uses maps). */
export function progInfo(fd: number): ProgInfo {
  const buf = new Uint8Array(PROG_INFO_SIZE);
  objGetInfoByFd(fd, buf);
  const nrMapIds = new DataView(buf.buffer).getUint32(52, true);
  if (nrMapIds === 0) return decodeProgInfo(buf);
  const ids = new Uint32Array(nrMapIds);
  const second = new AttrWriter(PROG_INFO_SIZE)
    .u32(52, nrMapIds, 'nrMapIds')
    .u64(56, addressOf(new Uint8Array(ids.buffer)), 'mapIds').bytes;
  holding([ids], () => objGetInfoByFd(fd, second));
  return decodeProgInfo(second, ids);
}

/** `struct bpf_map_info`. */
export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  ifindex: number;
  btfVmlinuxValueTypeId: number;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  mapExtra: bigint;
}

export const MAP_INFO_SIZE = 88;

export function decodeMapInfo(buf: Uint8Array): MapInfo {
  const r = new AttrReader(buf);
  return {
    type: r.u32(0),
    id: r.u32(4),
    keySize: r.u32(8),
    valueSize: r.u32(12),
    maxEntries: r.u32(16),
    flags: r.u32(20),
    name: r.cstr(24, OBJ_NAME_LEN),
    ifindex: r.u32(40),
    btfVmlinuxValueTypeId: r.u32(44),
    btfId: r.u32(64),
    btfKeyTypeId: r.u32(68),
    btfValueTypeId: r.u32(72),
    mapExtra: r.u64(80),
  };
}

export function mapInfo(fd: number): MapInfo {
  const buf = new Uint8Array(MAP_INFO_SIZE);
  objGetInfoByFd(fd, buf);
  return decodeMapInfo(buf);
}

/** `struct bpf_btf_info`. */
export interface BtfInfo {
  id: number;
  /** '' before kernel 5.11, which reports no BTF object names. */
  name: string;
  /** Whether the kernel made this BTF (vmlinux or a module); false before 5.11, which does not say. */
  kernelBtf: boolean;
  btfSize: number;
  /** Reads the raw BTF blob (a second OBJ_GET_INFO_BY_FD call). */
  btf(): Uint8Array;
}

export const BTF_INFO_SIZE = 32;

export function btfInfo(fd: number): BtfInfo {
  const first = new Uint8Array(BTF_INFO_SIZE);
  const known = objGetInfoByFd(fd, first);
  const r = new AttrReader(first);
  const btfSize = r.u32(8);
  // name and kernel_btf came in 5.11: an older kernel's struct ends before them (and it rejects
  // non-zero bytes past its end with E2BIG), so there is no name to ask for.
  let name = '';
  if (known >= BTF_INFO_SIZE) {
    const buf = new Uint8Array(r.u32(24) + 1);
    const second = new AttrWriter(BTF_INFO_SIZE).u32(24, buf.byteLength, 'nameLen').u64(16, addressOf(buf), 'name').bytes;
    holding([buf], () => objGetInfoByFd(fd, second));
    name = new AttrReader(buf).cstr(0, buf.byteLength);
  }
  return {
    id: r.u32(12),
    name,
    kernelBtf: known >= BTF_INFO_SIZE && r.u32(28) !== 0,
    btfSize,
    btf() {
      const blob = new Uint8Array(btfSize);
      const attr = new AttrWriter(Math.min(known, BTF_INFO_SIZE)).u64(0, addressOf(blob), 'btf').u32(8, btfSize, 'btfSize').bytes;
      holding([blob], () => objGetInfoByFd(fd, attr));
      return blob;
    },
  };
}

/** `struct bpf_link_info`, decoded for the link kinds whose info holds no variable-size data. */
export interface LinkInfo {
  type: number;
  id: number;
  progId: number;
  cgroup?: { cgroupId: bigint; attachType: number };
  netns?: { netnsIno: number; attachType: number };
  xdp?: { ifindex: number };
  tcx?: { ifindex: number; attachType: number };
  netkit?: { ifindex: number; attachType: number };
  netfilter?: { pf: number; hooknum: number; priority: number; flags: number };
  tracing?: { attachType: number; targetObjId: number; targetBtfId: number; cookie: bigint };
  rawTracepoint?: { name: string; cookie: bigint };
  iter?: { targetName: string };
  perfEvent?: PerfEventLinkInfo;
  kprobeMulti?: { count: number; flags: number; missed: bigint };
  uprobeMulti?: { count: number; flags: number; pid: number; pathSize: number };
}

export type PerfEventLinkInfo =
  | { type: typeof PerfEventType.Kprobe | typeof PerfEventType.Kretprobe; funcName: string; offset: number; addr: bigint; missed: bigint; cookie: bigint }
  | { type: typeof PerfEventType.Uprobe | typeof PerfEventType.Uretprobe; fileName: string; offset: number; cookie: bigint; refCtrOffset: bigint }
  | { type: typeof PerfEventType.Tracepoint; tpName: string; cookie: bigint }
  | { type: typeof PerfEventType.Event; config: bigint; eventType: number; cookie: bigint }
  | { type: typeof PerfEventType.Unspecified };

export const LINK_INFO_SIZE = 64;

/**
 * Two-call pattern for infos holding a string: the first call reports its length, the second
 * fills a buffer of that size. The string pointer sits at `ptrOff`, its length at `lenOff`.
 */
function infoString(fd: number, ptrOff: number, lenOff: number, length: number, prefill?: (w: AttrWriter) => void): { buf: Uint8Array; str: string } {
  const str = new Uint8Array(Math.max(length, 1));
  const w = new AttrWriter(LINK_INFO_SIZE).u64(ptrOff, addressOf(str), 'ptr').u32(lenOff, str.byteLength, 'len');
  prefill?.(w);
  holding([str], () => objGetInfoByFd(fd, w.bytes));
  return { buf: w.bytes, str: new AttrReader(str).cstr(0, str.byteLength) };
}

export function linkInfo(fd: number): LinkInfo {
  const buf = new Uint8Array(LINK_INFO_SIZE);
  objGetInfoByFd(fd, buf);
  const r = new AttrReader(buf);
  const info: LinkInfo = { type: r.u32(0), id: r.u32(4), progId: r.u32(8) };
  switch (info.type) {
    case LinkType.Cgroup:
      info.cgroup = { cgroupId: r.u64(16), attachType: r.u32(24) };
      break;
    case LinkType.NetNs:
      info.netns = { netnsIno: r.u32(16), attachType: r.u32(20) };
      break;
    case LinkType.XDP:
      info.xdp = { ifindex: r.u32(16) };
      break;
    case LinkType.TCX:
      info.tcx = { ifindex: r.u32(16), attachType: r.u32(20) };
      break;
    case LinkType.Netkit:
      info.netkit = { ifindex: r.u32(16), attachType: r.u32(20) };
      break;
    case LinkType.Netfilter:
      info.netfilter = { pf: r.u32(16), hooknum: r.u32(20), priority: r.s32(24), flags: r.u32(28) };
      break;
    case LinkType.Tracing:
      info.tracing = { attachType: r.u32(16), targetObjId: r.u32(20), targetBtfId: r.u32(24), cookie: r.u64(32) };
      break;
    case LinkType.RawTracepoint: {
      const { buf: b, str } = infoString(fd, 16, 24, r.u32(24));
      info.rawTracepoint = { name: str, cookie: new AttrReader(b).u64(32) };
      break;
    }
    case LinkType.Iter: {
      const len = r.u32(24);
      info.iter = { targetName: len ? infoString(fd, 16, 24, len).str : '' };
      break;
    }
    case LinkType.KprobeMulti:
      info.kprobeMulti = { count: r.u32(24), flags: r.u32(28), missed: r.u64(32) };
      break;
    case LinkType.UprobeMulti:
      info.uprobeMulti = { count: r.u32(52), flags: r.u32(56), pid: r.u32(60), pathSize: r.u32(48) };
      break;
    case LinkType.PerfEvent:
      info.perfEvent = perfEventLinkInfo(fd, r.u32(16));
      break;
  }
  return info;
}

function perfEventLinkInfo(fd: number, type: number): PerfEventLinkInfo {
  const setType = (w: AttrWriter) => w.u32(16, type, 'type');
  switch (type) {
    case PerfEventType.Kprobe:
    case PerfEventType.Kretprobe: {
      const len = lengthOf(fd, 32);
      const { buf, str } = infoString(fd, 24, 32, len, setType);
      const r = new AttrReader(buf);
      return { type, funcName: str, offset: r.u32(36), addr: r.u64(40), missed: r.u64(48), cookie: r.u64(56) };
    }
    case PerfEventType.Uprobe:
    case PerfEventType.Uretprobe: {
      const len = lengthOf(fd, 32);
      const { buf, str } = infoString(fd, 24, 32, len, setType);
      const r = new AttrReader(buf);
      return { type, fileName: str, offset: r.u32(36), cookie: r.u64(40), refCtrOffset: r.u64(48) };
    }
    case PerfEventType.Tracepoint: {
      const len = lengthOf(fd, 32);
      const { buf, str } = infoString(fd, 24, 32, len, setType);
      return { type, tpName: str, cookie: new AttrReader(buf).u64(40) };
    }
    case PerfEventType.Event: {
      const buf = new Uint8Array(LINK_INFO_SIZE);
      objGetInfoByFd(fd, buf);
      const r = new AttrReader(buf);
      return { type, config: r.u64(24), eventType: r.u32(32), cookie: r.u64(40) };
    }
    default:
      return { type: PerfEventType.Unspecified };
  }
}

/** First call of the two-call pattern: the string length the kernel reports at `lenOff`. */
function lengthOf(fd: number, lenOff: number): number {
  const buf = new Uint8Array(LINK_INFO_SIZE);
  objGetInfoByFd(fd, buf);
  return new DataView(buf.buffer).getUint32(lenOff, true);
}
