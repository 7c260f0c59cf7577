import { InvalidArgumentError } from '@bpfkit/errors';
import { AttachType as A, ProgramType as P } from './types.js';

/** prog_flags a section name implies. */
const SLEEPABLE = 1 << 4; // BPF_F_SLEEPABLE
const XDP_HAS_FRAGS = 1 << 5; // BPF_F_XDP_HAS_FRAGS

/** What a program's ELF section name says about how to load and attach it. */
export interface SectionKind {
  /** The convention matched, e.g. `kprobe+` or `xdp`. */
  readonly pattern: string;
  readonly programType: number;
  readonly attachType: number;
  readonly flags: number;
  /** The part after `<prefix>/`: a kernel function, `group/name`, `path:symbol`... ('' when absent). */
  readonly target: string;
}

interface Def {
  /** libbpf's notation: `name+` takes `name` or `name/<target>`; plain `name` only itself or `name/<anything>`. */
  pattern: string;
  type: number;
  attach: number;
  flags?: number;
}

const d = (pattern: string, type: number, attach: number = A.None, flags = 0): Def => ({ pattern, type, attach, flags });

/** libbpf's section_defs (libbpf.c), in its matching order: longer prefixes before shorter ones. */
const DEFS: readonly Def[] = [
  d('socket', P.SocketFilter),
  d('sk_reuseport/migrate', P.SkReuseport, A.SkReuseportSelectOrMigrate),
  d('sk_reuseport', P.SkReuseport, A.SkReuseportSelect),
  d('kprobe+', P.Kprobe),
  d('uprobe+', P.Kprobe),
  d('uprobe.s+', P.Kprobe, A.None, SLEEPABLE),
  d('kretprobe+', P.Kprobe),
  d('uretprobe+', P.Kprobe),
  d('uretprobe.s+', P.Kprobe, A.None, SLEEPABLE),
  d('kprobe.multi+', P.Kprobe, A.TraceKprobeMulti),
  d('kretprobe.multi+', P.Kprobe, A.TraceKprobeMulti),
  d('kprobe.session+', P.Kprobe, A.TraceKprobeSession),
  d('uprobe.multi+', P.Kprobe, A.TraceUprobeMulti),
  d('uretprobe.multi+', P.Kprobe, A.TraceUprobeMulti),
  d('uprobe.multi.s+', P.Kprobe, A.TraceUprobeMulti, SLEEPABLE),
  d('uretprobe.multi.s+', P.Kprobe, A.TraceUprobeMulti, SLEEPABLE),
  d('ksyscall+', P.Kprobe),
  d('kretsyscall+', P.Kprobe),
  d('usdt+', P.Kprobe),
  d('usdt.s+', P.Kprobe, A.None, SLEEPABLE),
  d('tc/ingress', P.SchedCLS, A.TCXIngress),
  d('tc/egress', P.SchedCLS, A.TCXEgress),
  d('tcx/ingress', P.SchedCLS, A.TCXIngress),
  d('tcx/egress', P.SchedCLS, A.TCXEgress),
  d('tc', P.SchedCLS),
  d('classifier', P.SchedCLS),
  d('action', P.SchedACT),
  d('netkit/primary', P.SchedCLS, A.NetkitPrimary),
  d('netkit/peer', P.SchedCLS, A.NetkitPeer),
  d('tracepoint+', P.TracePoint),
  d('tp+', P.TracePoint),
  d('raw_tracepoint+', P.RawTracepoint),
  d('raw_tp+', P.RawTracepoint),
  d('raw_tracepoint.w+', P.RawTracepointWritable),
  d('raw_tp.w+', P.RawTracepointWritable),
  d('tp_btf+', P.Tracing, A.TraceRawTp),
  d('fentry+', P.Tracing, A.TraceFEntry),
  d('fmod_ret+', P.Tracing, A.ModifyReturn),
  d('fexit+', P.Tracing, A.TraceFExit),
  d('fentry.s+', P.Tracing, A.TraceFEntry, SLEEPABLE),
  d('fmod_ret.s+', P.Tracing, A.ModifyReturn, SLEEPABLE),
  d('fexit.s+', P.Tracing, A.TraceFExit, SLEEPABLE),
  d('freplace+', P.Extension),
  d('lsm+', P.LSM, A.LSMMac),
  d('lsm.s+', P.LSM, A.LSMMac, SLEEPABLE),
  d('lsm_cgroup+', P.LSM, A.LSMCgroup),
  d('iter+', P.Tracing, A.TraceIter),
  d('iter.s+', P.Tracing, A.TraceIter, SLEEPABLE),
  d('syscall', P.Syscall, A.None, SLEEPABLE),
  d('xdp.frags/devmap', P.XDP, A.XDPDevMap, XDP_HAS_FRAGS),
  d('xdp/devmap', P.XDP, A.XDPDevMap),
  d('xdp.frags/cpumap', P.XDP, A.XDPCPUMap, XDP_HAS_FRAGS),
  d('xdp/cpumap', P.XDP, A.XDPCPUMap),
  d('xdp.frags', P.XDP, A.XDP, XDP_HAS_FRAGS),
  d('xdp', P.XDP, A.XDP),
  d('perf_event', P.PerfEvent),
  d('lwt_in', P.LWTIn),
  d('lwt_out', P.LWTOut),
  d('lwt_xmit', P.LWTXmit),
  d('lwt_seg6local', P.LWTSeg6Local),
  d('sockops', P.SockOps, A.CGroupSockOps),
  d('sk_skb/stream_parser', P.SkSKB, A.SkSKBStreamParser),
  d('sk_skb/stream_verdict', P.SkSKB, A.SkSKBStreamVerdict),
  d('sk_skb/verdict', P.SkSKB, A.SkSKBVerdict),
  d('sk_skb', P.SkSKB),
  d('sk_msg', P.SkMsg, A.SkMsgVerdict),
  d('lirc_mode2', P.LircMode2, A.LircMode2),
  d('flow_dissector', P.FlowDissector, A.FlowDissector),
  d('cgroup_skb/ingress', P.CGroupSKB, A.CGroupInetIngress),
  d('cgroup_skb/egress', P.CGroupSKB, A.CGroupInetEgress),
  d('cgroup/skb', P.CGroupSKB),
  d('cgroup/sock_create', P.CGroupSock, A.CGroupInetSockCreate),
  d('cgroup/sock_release', P.CGroupSock, A.CgroupInetSockRelease),
  d('cgroup/sock', P.CGroupSock, A.CGroupInetSockCreate),
  d('cgroup/post_bind4', P.CGroupSock, A.CGroupInet4PostBind),
  d('cgroup/post_bind6', P.CGroupSock, A.CGroupInet6PostBind),
  d('cgroup/bind4', P.CGroupSockAddr, A.CGroupInet4Bind),
  d('cgroup/bind6', P.CGroupSockAddr, A.CGroupInet6Bind),
  d('cgroup/connect4', P.CGroupSockAddr, A.CGroupInet4Connect),
  d('cgroup/connect6', P.CGroupSockAddr, A.CGroupInet6Connect),
  d('cgroup/connect_unix', P.CGroupSockAddr, A.CgroupUnixConnect),
  d('cgroup/sendmsg4', P.CGroupSockAddr, A.CGroupUDP4Sendmsg),
  d('cgroup/sendmsg6', P.CGroupSockAddr, A.CGroupUDP6Sendmsg),
  d('cgroup/sendmsg_unix', P.CGroupSockAddr, A.CgroupUnixSendmsg),
  d('cgroup/recvmsg4', P.CGroupSockAddr, A.CGroupUDP4Recvmsg),
  d('cgroup/recvmsg6', P.CGroupSockAddr, A.CGroupUDP6Recvmsg),
  d('cgroup/recvmsg_unix', P.CGroupSockAddr, A.CgroupUnixRecvmsg),
  d('cgroup/getpeername4', P.CGroupSockAddr, A.CgroupInet4GetPeername),
  d('cgroup/getpeername6', P.CGroupSockAddr, A.CgroupInet6GetPeername),
  d('cgroup/getpeername_unix', P.CGroupSockAddr, A.CgroupUnixGetpeername),
  d('cgroup/getsockname4', P.CGroupSockAddr, A.CgroupInet4GetSockname),
  d('cgroup/getsockname6', P.CGroupSockAddr, A.CgroupInet6GetSockname),
  d('cgroup/getsockname_unix', P.CGroupSockAddr, A.CgroupUnixGetsockname),
  d('cgroup/sysctl', P.CGroupSysctl, A.CGroupSysctl),
  d('cgroup/getsockopt', P.CGroupSockopt, A.CGroupGetsockopt),
  d('cgroup/setsockopt', P.CGroupSockopt, A.CGroupSetsockopt),
  d('cgroup/dev', P.CGroupDevice, A.CGroupDevice),
  d('struct_ops+', P.StructOps),
  d('struct_ops.s+', P.StructOps, A.None, SLEEPABLE),
  d('sk_lookup', P.SkLookup, A.SkLookup),
  d('netfilter', P.Netfilter, A.Netfilter),
];

/** The section conventions, as `pattern` strings (`kprobe+` takes `kprobe/<function>`). */
export const SECTION_PATTERNS: readonly string[] = DEFS.map((def) => def.pattern);

/**
 * Classify a program section by libbpf's naming conventions. A name that matches none throws
 * InvalidArgumentError naming it, so a typo never loads as the wrong program type.
 */
export function sectionKind(section: string): SectionKind {
  for (const def of DEFS) {
    const prefix = def.pattern.endsWith('+') ? def.pattern.slice(0, -1) : def.pattern;
    if (section !== prefix && !section.startsWith(`${prefix}/`)) continue;
    const target = section.length > prefix.length ? section.slice(prefix.length + 1) : '';
    return { pattern: def.pattern, programType: def.type, attachType: def.attach, flags: def.flags ?? 0, target };
  }
  throw new InvalidArgumentError('section', `${JSON.stringify(section)} is not a known program section (expected one of libbpf's conventions, e.g. kprobe/<function>, tracepoint/<group>/<name>, xdp, tc, fentry/<function>)`);
}
