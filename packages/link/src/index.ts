export {
  afterLink,
  afterLinkByID,
  afterProgram,
  afterProgramByID,
  Anchor,
  beforeLink,
  beforeLinkByID,
  beforeProgram,
  beforeProgramByID,
  head,
  replaceProgram,
  replaceProgramByID,
  tail,
} from './anchor.js';
export { attach, attachAll } from './attach-section.js';
export type { AttachOptions } from './attach-section.js';
export { attachCgroup, cgroup2Mount, CgroupLink, ProgAttachCgroupLink } from './cgroup.js';
export type { CgroupOptions } from './cgroup.js';
export { closeAll } from './close.js';
export type { CloseAllOptions } from './close.js';
export { Executable, openExecutable } from './executable.js';
export type { OpenExecutableOptions, ProbeLocation, SymbolOffset } from './executable.js';
export { AttachKinds, feature, features } from './features.js';
export type { AttachKind, FeatureReport } from './features.js';
export type {
  CgroupLinkInfo,
  EventInfo,
  InterfaceLinkInfo,
  IterLinkInfo,
  KprobeInfo,
  KprobeMultiAddress,
  KprobeMultiLinkInfo,
  LinkInfo,
  NetfilterLinkInfo,
  NetNsLinkInfo,
  PerfEventLinkInfo,
  RawTracepointLinkInfo,
  TracepointInfo,
  TracingLinkInfo,
  UprobeInfo,
  UprobeMultiLinkInfo,
  UprobeMultiOffset,
  XDPLinkInfo,
} from './info.js';
export type { InterfaceRef } from './interface.js';
export { attachIter, Iter, IterReader } from './iter.js';
export type { IterOptions } from './iter.js';
export { iterateLinks } from './iterator.js';
export { kprobe, kretprobe, syscallWrapper } from './kprobe.js';
export type { KprobeOptions } from './kprobe.js';
export { kprobeMulti, KprobeMultiLink, kretprobeMulti, UnattachableSymbolsError } from './kprobe-multi.js';
export type { KprobeMultiOptions } from './kprobe-multi.js';
export { attachRawLink, RawLink } from './link.js';
export type { Link, LinkMechanism, RawLinkOptions, RawLinkUpdateOptions } from './link.js';
export { attachNetfilter, NetfilterAttachFlags, NetfilterInetHook, NetfilterLink, NetfilterProtocolFamily } from './netfilter.js';
export type { NetfilterOptions } from './netfilter.js';
export { attachNetkit, NetkitLink } from './netkit.js';
export type { NetkitOptions } from './netkit.js';
export type { MprogOptions } from './mprog.js';
export { attachNetNs, NetNsLink } from './netns.js';
export type { NetNsTarget } from './netns.js';
export { PerfEventIoctlLink, PerfEventLink } from './perf-event.js';
export { attachPerfEvent, onlineCPUs, PerfEventGroup } from './perf-event-attach.js';
export type { PerfEventOptions } from './perf-event-attach.js';
export type { AnyPerfEventLink, PerfAttach } from './perf-event.js';
export { rawAttachProgram, rawDetachProgram } from './program.js';
export type { RawAttachProgramOptions, RawDetachProgramOptions } from './program.js';
export type { MapRef, ProgramRef } from './program-ref.js';
export { queryPrograms } from './query.js';
export type { AttachedProgram, QueryOptions, QueryResult } from './query.js';
export { attachRawTracepoint, RawTracepointFdLink, RawTracepointLink } from './raw-tracepoint.js';
export type { RawTracepointOptions } from './raw-tracepoint.js';
export { attachSocketFilter, detachSocketFilter } from './socket-filter.js';
export type { SocketRef } from './socket-filter.js';
export { attachStructOps, StructOpsLink } from './struct-ops.js';
export type { StructOpsOptions } from './struct-ops.js';
export type { AttachTarget } from './target.js';
export { tracepoint } from './tracepoint.js';
export type { TracepointOptions } from './tracepoint.js';
export { attachTracing, TracingLink } from './tracing.js';
export type { AnyTracingLink, TracingOptions } from './tracing.js';
export { attachLSM } from './lsm.js';
export type { LSMOptions } from './lsm.js';
export { attachFreplace } from './freplace.js';
export { UnlinkedAttachment } from './unlinked.js';
export type { UprobeLink, UprobeOptions } from './uprobe.js';
export { UprobeGroupLink, UprobeMultiLink } from './uprobe-multi.js';
export type { UprobeMultiOptions, UprobeMultiResult } from './uprobe-multi.js';
export type { UsdtOptions, UsdtResult } from './usdt.js';
export { loadPinnedLink, newFromFD, newFromID, wrapRawLink } from './wrap.js';
export type { LoadPinOptions } from './wrap.js';
export { LinkType, PerfEventType, PerfType } from '@bpfkit/sys';
export { attachTCX, TCXLink } from './tcx.js';
export type { TCXOptions } from './tcx.js';
export { attachXDP, XDPAttachFlags, XDPLink } from './xdp.js';
export type { XDPMode, XDPOptions } from './xdp.js';
export {
  BpfError,
  InvalidArgumentError,
  isNotExist,
  isNotSupported,
  NotSupportedError,
  SymbolNotFoundError,
  SyscallError,
} from '@bpfkit/errors';
