import * as sys from '@bpfkit/sys';

export interface CgroupLinkInfo {
  cgroupId: bigint;
  attachType: number;
}
export interface NetNsLinkInfo {
  netnsInode: number;
  attachType: number;
}
export interface InterfaceLinkInfo {
  ifindex: number;
  attachType: number;
}
export interface XDPLinkInfo {
  ifindex: number;
}
export interface NetfilterLinkInfo {
  protocolFamily: number;
  hook: number;
  priority: number;
  flags: number;
}
export interface TracingLinkInfo {
  attachType: number;
  targetObjectId: number;
  targetBtfId: number;
  cookie: bigint;
}
export interface RawTracepointLinkInfo {
  name: string;
  cookie: bigint;
}
export interface IterLinkInfo {
  targetName: string;
}
export interface KprobeMultiAddress {
  /** 0 for every entry when the caller may not see kernel addresses (kptr_restrict). */
  address: bigint;
  cookie: bigint;
}
export interface KprobeMultiLinkInfo {
  /** How many addresses are hooked. */
  count: number;
  flags: number;
  missed: bigint;
  addresses(): KprobeMultiAddress[];
}
export interface UprobeMultiOffset {
  /** File offset of the probe. */
  offset: bigint;
  cookie: bigint;
  refCtrOffset: bigint;
}
export interface UprobeMultiLinkInfo {
  count: number;
  flags: number;
  /** The path given at attach time (the file may have moved since). */
  file: string;
  /** The PID filter; undefined when every process is probed. */
  pid?: number;
  offsets(): UprobeMultiOffset[];
}
export interface KprobeInfo {
  address: bigint;
  missed: bigint;
  function: string;
  offset: number;
  cookie: bigint;
}
export interface UprobeInfo {
  file: string;
  /** File offset (the kernel ABI reports 32 bits). */
  offset: number;
  cookie: bigint;
  refCtrOffset: bigint;
}
export interface TracepointInfo {
  tracepoint: string;
  cookie: bigint;
}
export interface EventInfo {
  config: bigint;
  type: number;
  cookie: bigint;
}
export interface PerfEventLinkInfo {
  type: sys.PerfEventType;
  kprobe?: KprobeInfo;
  uprobe?: UprobeInfo;
  tracepoint?: TracepointInfo;
  event?: EventInfo;
}

/** `struct bpf_link_info`: the header, plus the detail of the link's kind. */
export interface LinkInfo {
  type: sys.LinkType;
  id: number;
  /** The attached program's ID. */
  program: number;
  cgroup?: CgroupLinkInfo;
  netns?: NetNsLinkInfo;
  xdp?: XDPLinkInfo;
  tcx?: InterfaceLinkInfo;
  netkit?: InterfaceLinkInfo;
  netfilter?: NetfilterLinkInfo;
  tracing?: TracingLinkInfo;
  rawTracepoint?: RawTracepointLinkInfo;
  iter?: IterLinkInfo;
  kprobeMulti?: KprobeMultiLinkInfo;
  uprobeMulti?: UprobeMultiLinkInfo;
  perfEvent?: PerfEventLinkInfo;
}

/** BPF_OBJ_GET_INFO_BY_FD for a link, with the second calls that fetch arrays and strings. */
export function decodeLinkInfo(fd: number): LinkInfo {
  const raw = sys.linkInfo(fd);
  const info: LinkInfo = { type: raw.type as sys.LinkType, id: raw.id, program: raw.progId };
  if (raw.cgroup) info.cgroup = { cgroupId: raw.cgroup.cgroupId, attachType: raw.cgroup.attachType };
  if (raw.netns) info.netns = { netnsInode: raw.netns.netnsIno, attachType: raw.netns.attachType };
  if (raw.xdp) info.xdp = { ifindex: raw.xdp.ifindex };
  if (raw.tcx) info.tcx = { ...raw.tcx };
  if (raw.netkit) info.netkit = { ...raw.netkit };
  if (raw.netfilter) {
    const n = raw.netfilter;
    info.netfilter = { protocolFamily: n.pf, hook: n.hooknum, priority: n.priority, flags: n.flags };
  }
  if (raw.tracing) {
    const t = raw.tracing;
    info.tracing = { attachType: t.attachType, targetObjectId: t.targetObjId, targetBtfId: t.targetBtfId, cookie: t.cookie };
  }
  if (raw.rawTracepoint) info.rawTracepoint = { ...raw.rawTracepoint };
  if (raw.iter) info.iter = { ...raw.iter };
  if (raw.kprobeMulti) info.kprobeMulti = kprobeMultiInfo(fd, raw.kprobeMulti);
  if (raw.uprobeMulti) info.uprobeMulti = uprobeMultiInfo(fd, raw.uprobeMulti);
  if (raw.perfEvent) info.perfEvent = perfEventInfo(raw.perfEvent);
  return info;
}

/** One receive array per pointer field of a fresh info struct: the kernel fills them in one call. */
function infoArrays(fd: number, count: number, arrays: { ptrOff: number; elems: number }[], set: (w: sys.AttrWriter) => void): BigUint64Array[] {
  const bufs = arrays.map((a) => new BigUint64Array(a.elems));
  const w = new sys.AttrWriter(sys.LINK_INFO_SIZE);
  arrays.forEach((a, i) => w.u64(a.ptrOff, sys.addressOf(new Uint8Array(bufs[i]!.buffer)), 'ptr'));
  set(w);
  if (count > 0) sys.holding(bufs, () => sys.objGetInfoByFd(fd, w.bytes));
  return bufs;
}

function kprobeMultiInfo(fd: number, k: NonNullable<sys.LinkInfo['kprobeMulti']>): KprobeMultiLinkInfo {
  const [addrs, cookies] = infoArrays(
    fd,
    k.count,
    [
      { ptrOff: 16, elems: k.count },
      { ptrOff: 40, elems: k.count },
    ],
    (w) => w.u32(24, k.count, 'count'),
  );
  const entries = Array.from(addrs!, (address, i) => ({ address, cookie: cookies![i]! }));
  return { count: k.count, flags: k.flags, missed: k.missed, addresses: () => entries.map((e) => ({ ...e })) };
}

function uprobeMultiInfo(fd: number, u: NonNullable<sys.LinkInfo['uprobeMulti']>): UprobeMultiLinkInfo {
  const path = new Uint8Array(Math.max(u.pathSize, 1));
  const [offsets, refCtrs, cookies] = infoArrays(
    fd,
    u.count,
    [
      { ptrOff: 24, elems: u.count },
      { ptrOff: 32, elems: u.count },
      { ptrOff: 40, elems: u.count },
    ],
    (w) => w.u64(16, sys.addressOf(path), 'path').u32(48, path.byteLength, 'pathSize').u32(52, u.count, 'count'),
  );
  // The arrays call also fills the path; without probes there is nothing to read.
  const end = path.indexOf(0);
  const file = new TextDecoder().decode(end < 0 ? path : path.subarray(0, end));
  const entries = Array.from(offsets!, (offset, i) => ({ offset, cookie: cookies![i]!, refCtrOffset: refCtrs![i]! }));
  return {
    count: u.count,
    flags: u.flags,
    file,
    ...(u.pid > 0 ? { pid: u.pid } : {}),
    offsets: () => entries.map((e) => ({ ...e })),
  };
}

function perfEventInfo(p: sys.PerfEventLinkInfo): PerfEventLinkInfo {
  switch (p.type) {
    case sys.PerfEventType.Kprobe:
    case sys.PerfEventType.Kretprobe:
      return { type: p.type, kprobe: { address: p.addr, missed: p.missed, function: p.funcName, offset: p.offset, cookie: p.cookie } };
    case sys.PerfEventType.Uprobe:
    case sys.PerfEventType.Uretprobe:
      return { type: p.type, uprobe: { file: p.fileName, offset: p.offset, cookie: p.cookie, refCtrOffset: p.refCtrOffset } };
    case sys.PerfEventType.Tracepoint:
      return { type: p.type, tracepoint: { tracepoint: p.tpName, cookie: p.cookie } };
    case sys.PerfEventType.Event:
      return { type: p.type, event: { config: p.config, type: p.eventType, cookie: p.cookie } };
    default:
      return { type: p.type };
  }
}
