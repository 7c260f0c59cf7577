/** Numeric values from the kernel UAPI (include/uapi/linux/bpf.h, perf_event.h). */

/** `enum bpf_cmd`. */
export const Cmd = {
  MapCreate: 0,
  MapLookupElem: 1,
  MapUpdateElem: 2,
  MapDeleteElem: 3,
  MapGetNextKey: 4,
  ProgLoad: 5,
  ObjPin: 6,
  ObjGet: 7,
  ProgAttach: 8,
  ProgDetach: 9,
  ProgTestRun: 10,
  ProgGetNextId: 11,
  MapGetNextId: 12,
  ProgGetFdById: 13,
  MapGetFdById: 14,
  ObjGetInfoByFd: 15,
  ProgQuery: 16,
  RawTracepointOpen: 17,
  BtfLoad: 18,
  BtfGetFdById: 19,
  TaskFdQuery: 20,
  MapLookupAndDeleteElem: 21,
  MapFreeze: 22,
  BtfGetNextId: 23,
  MapLookupBatch: 24,
  MapLookupAndDeleteBatch: 25,
  MapUpdateBatch: 26,
  MapDeleteBatch: 27,
  LinkCreate: 28,
  LinkUpdate: 29,
  LinkGetFdById: 30,
  LinkGetNextId: 31,
  EnableStats: 32,
  IterCreate: 33,
  LinkDetach: 34,
  ProgBindMap: 35,
  TokenCreate: 36,
} as const;
export type Cmd = (typeof Cmd)[keyof typeof Cmd];

const CMD_NAMES = new Map<number, string>(
  Object.entries(Cmd).map(([k, v]) => [v, `BPF_${k.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`]),
);

/** The kernel's name of a command: `Cmd.LinkCreate` → `'BPF_LINK_CREATE'`. */
export function cmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `BPF_CMD_${cmd}`;
}

/** `enum bpf_prog_type`; keys are cilium/ebpf's `ebpf.ProgramType` names. */
export const ProgType = {
  UnspecifiedProgram: 0,
  SocketFilter: 1,
  Kprobe: 2,
  SchedCLS: 3,
  SchedACT: 4,
  TracePoint: 5,
  XDP: 6,
  PerfEvent: 7,
  CGroupSKB: 8,
  CGroupSock: 9,
  LWTIn: 10,
  LWTOut: 11,
  LWTXmit: 12,
  SockOps: 13,
  SkSKB: 14,
  CGroupDevice: 15,
  SkMsg: 16,
  RawTracepoint: 17,
  CGroupSockAddr: 18,
  LWTSeg6Local: 19,
  LircMode2: 20,
  SkReuseport: 21,
  FlowDissector: 22,
  CGroupSysctl: 23,
  RawTracepointWritable: 24,
  CGroupSockopt: 25,
  Tracing: 26,
  StructOps: 27,
  Extension: 28,
  LSM: 29,
  SkLookup: 30,
  Syscall: 31,
  Netfilter: 32,
} as const;
export type ProgType = (typeof ProgType)[keyof typeof ProgType];

/**
 * `enum bpf_attach_type`; keys are cilium/ebpf's `ebpf.Attach*` names without the prefix.
 * `None` (0) is cilium's AttachNone: "no expected attach type".
 */
export const AttachType = {
  None: 0,
  CGroupInetIngress: 0,
  CGroupInetEgress: 1,
  CGroupInetSockCreate: 2,
  CGroupSockOps: 3,
  SkSKBStreamParser: 4,
  SkSKBStreamVerdict: 5,
  CGroupDevice: 6,
  SkMsgVerdict: 7,
  CGroupInet4Bind: 8,
  CGroupInet6Bind: 9,
  CGroupInet4Connect: 10,
  CGroupInet6Connect: 11,
  CGroupInet4PostBind: 12,
  CGroupInet6PostBind: 13,
  CGroupUDP4Sendmsg: 14,
  CGroupUDP6Sendmsg: 15,
  LircMode2: 16,
  FlowDissector: 17,
  CGroupSysctl: 18,
  CGroupUDP4Recvmsg: 19,
  CGroupUDP6Recvmsg: 20,
  CGroupGetsockopt: 21,
  CGroupSetsockopt: 22,
  TraceRawTp: 23,
  TraceFEntry: 24,
  TraceFExit: 25,
  ModifyReturn: 26,
  LSMMac: 27,
  TraceIter: 28,
  CgroupInet4GetPeername: 29,
  CgroupInet6GetPeername: 30,
  CgroupInet4GetSockname: 31,
  CgroupInet6GetSockname: 32,
  XDPDevMap: 33,
  CgroupInetSockRelease: 34,
  XDPCPUMap: 35,
  SkLookup: 36,
  XDP: 37,
  SkSKBVerdict: 38,
  SkReuseportSelect: 39,
  SkReuseportSelectOrMigrate: 40,
  PerfEvent: 41,
  TraceKprobeMulti: 42,
  TraceKprobeSession: 56,
  LSMCgroup: 43,
  StructOps: 44,
  Netfilter: 45,
  TCXIngress: 46,
  TCXEgress: 47,
  TraceUprobeMulti: 48,
  CgroupUnixConnect: 49,
  CgroupUnixSendmsg: 50,
  CgroupUnixRecvmsg: 51,
  CgroupUnixGetpeername: 52,
  CgroupUnixGetsockname: 53,
  NetkitPrimary: 54,
  NetkitPeer: 55,
  TraceUprobeSession: 57,
} as const;
export type AttachType = (typeof AttachType)[keyof typeof AttachType];

/** `enum bpf_map_type`; keys are cilium/ebpf's `ebpf.MapType` names (`StructOps` aliases `StructOpsMap`). */
export const MapType = {
  UnspecifiedMap: 0,
  Hash: 1,
  Array: 2,
  ProgramArray: 3,
  PerfEventArray: 4,
  PerCPUHash: 5,
  PerCPUArray: 6,
  StackTrace: 7,
  CGroupArray: 8,
  LRUHash: 9,
  LRUCPUHash: 10,
  LPMTrie: 11,
  ArrayOfMaps: 12,
  HashOfMaps: 13,
  DevMap: 14,
  SockMap: 15,
  CPUMap: 16,
  XSKMap: 17,
  SockHash: 18,
  CGroupStorage: 19,
  ReusePortSockArray: 20,
  PerCPUCGroupStorage: 21,
  Queue: 22,
  Stack: 23,
  SkStorage: 24,
  DevMapHash: 25,
  StructOpsMap: 26,
  /** Alias of StructOpsMap. */
  StructOps: 26,
  RingBuf: 27,
  InodeStorage: 28,
  TaskStorage: 29,
  BloomFilter: 30,
  UserRingbuf: 31,
  CgroupStorage: 32,
  Arena: 33,
} as const;
export type MapType = (typeof MapType)[keyof typeof MapType];

/** `enum bpf_link_type`. */
export const LinkType = {
  Unspecified: 0,
  RawTracepoint: 1,
  Tracing: 2,
  Cgroup: 3,
  Iter: 4,
  NetNs: 5,
  XDP: 6,
  PerfEvent: 7,
  KprobeMulti: 8,
  StructOps: 9,
  Netfilter: 10,
  TCX: 11,
  UprobeMulti: 12,
  Netkit: 13,
  Sockmap: 14,
} as const;
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

/** `enum bpf_perf_event_type` (what a perf_event link's info reports). */
export const PerfEventType = {
  Unspecified: 0,
  Uprobe: 1,
  Uretprobe: 2,
  Kprobe: 3,
  Kretprobe: 4,
  Tracepoint: 5,
  Event: 6,
} as const;
export type PerfEventType = (typeof PerfEventType)[keyof typeof PerfEventType];

/** `enum bpf_stats_type`. */
export const StatsType = { RunTime: 0 } as const;
export type StatsType = (typeof StatsType)[keyof typeof StatsType];

/** Flags of PROG_ATTACH, PROG_QUERY, LINK_CREATE and friends. */
export const AttachFlags = {
  AllowOverride: 1 << 0,
  AllowMulti: 1 << 1,
  Replace: 1 << 2,
  Before: 1 << 3,
  After: 1 << 4,
  ID: 1 << 5,
  Link: 1 << 13,
} as const;

export const QueryFlags = { Effective: 1 << 0 } as const;

/** `map_flags` of MAP_CREATE. */
export const MapFlags = {
  NoPrealloc: 1 << 0,
  NoCommonLru: 1 << 1,
  NumaNode: 1 << 2,
  Rdonly: 1 << 3,
  Wronly: 1 << 4,
  StackBuildId: 1 << 5,
  ZeroSeed: 1 << 6,
  RdonlyProg: 1 << 7,
  WronlyProg: 1 << 8,
  Clone: 1 << 9,
  Mmapable: 1 << 10,
  PreserveElems: 1 << 11,
  InnerMap: 1 << 12,
  Link: 1 << 13,
  PathFd: 1 << 14,
  VtypeBtfObjFd: 1 << 15,
  Token: 1 << 16,
  SegvOnFault: 1 << 17,
  NoUserConv: 1 << 18,
} as const;

/** Flags of MAP_UPDATE_ELEM. */
export const UpdateFlags = { Any: 0, NoExist: 1, Exist: 2, Lock: 4 } as const;
export type UpdateFlags = (typeof UpdateFlags)[keyof typeof UpdateFlags];

/** `prog_flags` of PROG_LOAD. */
export const ProgFlags = {
  StrictAlignment: 1 << 0,
  AnyAlignment: 1 << 1,
  TestRndHi32: 1 << 2,
  TestStateFreq: 1 << 3,
  Sleepable: 1 << 4,
  XdpHasFrags: 1 << 5,
  XdpDevBoundOnly: 1 << 6,
  TestRegInvariants: 1 << 7,
} as const;

/** `file_flags` of OBJ_GET. */
export const FileFlags = { Rdonly: 1 << 3, Wronly: 1 << 4 } as const;

export const KprobeMultiFlags = { Return: 1 } as const;
export const UprobeMultiFlags = { Return: 1 } as const;
export const NetfilterFlags = { IPDefrag: 1 } as const;

/** `PERF_TYPE_*` of perf_event_attr.type. */
export const PerfType = {
  Hardware: 0,
  Software: 1,
  Tracepoint: 2,
  HwCache: 3,
  Raw: 4,
  Breakpoint: 5,
} as const;

export const PerfEvent = {
  SampleRaw: 0x400,
  FlagFdCloexec: 8,
  AttrSizeVer0: 64,
  AttrSizeVer1: 72,
  /** `_IO('$', 0)` */
  IocEnable: 0x2400,
  /** `_IO('$', 1)` */
  IocDisable: 0x2401,
  /** `_IOW('$', 8, u32)`: the argument is the program fd itself. */
  IocSetBpf: 0x40042408,
} as const;

/** Filesystem magic numbers reported by statfs(2). */
export const FsMagic = {
  Bpf: 0xcafe4a11,
  Tracefs: 0x74726163,
  Debugfs: 0x64626720,
  Cgroup2: 0x63677270,
  Nsfs: 0x6e736673,
} as const;

export const Sock = {
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  AF_NETLINK: 16,
  AF_PACKET: 17,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  SOL_SOCKET: 1,
  SO_RCVBUF: 8,
  SO_SNDBUF: 7,
  SO_RCVTIMEO: 20,
  SO_ATTACH_FILTER: 26,
  SO_DETACH_FILTER: 27,
  SO_DETACH_BPF: 27,
  SO_ATTACH_BPF: 50,
  SO_RCVBUFFORCE: 33,
  MSG_DONTWAIT: 0x40,
  MSG_PEEK: 0x2,
  MSG_TRUNC: 0x20,
} as const;

export const Ns = { CLONE_NEWNS: 0x00020000, CLONE_NEWNET: 0x40000000 } as const;

export const Mount = {
  MS_RDONLY: 1,
  MS_BIND: 4096,
  MS_REC: 16384,
  MS_PRIVATE: 1 << 18,
  MS_SHARED: 1 << 20,
  MNT_DETACH: 2,
} as const;

export const Fcntl = { F_GETFD: 1, F_SETFD: 2, F_GETFL: 3, F_DUPFD_CLOEXEC: 1030, FD_CLOEXEC: 1 } as const;

export const RENAME_NOREPLACE = 1;

/** `BPF_OBJ_NAME_LEN`: object names are at most 15 bytes plus NUL. */
export const OBJ_NAME_LEN = 16;
