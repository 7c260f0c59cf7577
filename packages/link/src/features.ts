import { existsSync, readFileSync } from 'node:fs';
import { Errno, errnoName, isNotSupported, NotSupportedError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import { asm, AttachType, Map as BpfMap, MapType, Program, ProgramType, type ProgramLoadOptions } from '@bpfkit/ebpf';
import { BtfBuilder, Linkage } from '@bpfkit/btf';
import * as sys from '@bpfkit/sys';
import type { LinkMechanism } from './link.js';

/** Every attach kind of @bpfkit/link, as features() names them. */
export const AttachKinds = [
  'cgroup',
  'iter',
  'netns',
  'socket_filter',
  'xdp',
  'tcx',
  'netkit',
  'netfilter',
  'struct_ops',
  'kprobe',
  'kretprobe',
  'kprobe_multi',
  'kretprobe_multi',
  'kprobe_session',
  'uprobe',
  'uretprobe',
  'uprobe_multi',
  'uretprobe_multi',
  'usdt',
  'tracepoint',
  'raw_tracepoint',
  'fentry',
  'fexit',
  'fmod_ret',
  'tp_btf',
  'lsm',
  'freplace',
  'perf_event',
] as const;
export type AttachKind = (typeof AttachKinds)[number];

export interface FeatureReport {
  kind: AttachKind;
  supported: boolean;
  /** What is missing, when not supported: a kernel config, a minimum version, a refusal. */
  reason?: string;
  minimumKernel?: string;
  /** The kernel config it was built without (e.g. 'CONFIG_KPROBES'), when that is why. */
  missingConfig?: string;
  /** Set when the kernel has the feature but refuses it here (e.g. EPERM by policy). */
  refusal?: string;
  /** The path an attach of this kind takes on this kernel. */
  mechanism?: LinkMechanism | 'setsockopt' | 'uprobe_multi' | 'perf_event';
}

type Probe = () => FeatureReport['mechanism'];

const TRIVIAL = [asm.mov64('r0', 0), asm.exit()];

type LoadOptions = Omit<ProgramLoadOptions, 'instructions' | 'license'>;

/** Program.load with a probe's error mapping: EPERM is a refusal, other failures say what failed. */
function probeLoad(feature: string, opts: LoadOptions): Program {
  try {
    return Program.load({ instructions: TRIVIAL, license: 'GPL', ...opts });
  } catch (err) {
    if (err instanceof SyscallError) {
      if (err.errno === Errno.EPERM) throw new NotSupportedError(feature, { refusal: `program loads of this type refused with ${errnoName(err.errno)}`, cause: err });
      throw new NotSupportedError(feature, { detail: `program load failed: ${err.code}`, cause: err });
    }
    if (isNotSupported(err)) throw err;
    throw new NotSupportedError(feature, { detail: (err as Error).message, cause: err });
  }
}

/** A memoised program load: supported when the kernel loads `opts`; EPERM and friends name the refusal. */
function loads(feature: string, opts: LoadOptions, minimumKernel?: string): () => void {
  return sys.probe(feature, () => probeLoad(feature, opts).close(), minimumKernel);
}

/**
 * A memoised trial attach of a tracing (or LSM) program: 'bpf_link' where BPF_LINK_CREATE takes
 * it, 'raw_tracepoint_open' where the kernel answers EINVAL (5.10; tp_btf before 6.10) and only
 * BPF_RAW_TRACEPOINT_OPEN works.
 */
function tracingAttach(feature: string, opts: LoadOptions & { attachType: number }, minimumKernel: string): () => LinkMechanism {
  return sys.probe(
    feature,
    () => {
      const prog = probeLoad(feature, opts);
      try {
        sys.linkCreate({ kind: 'tracing', progFd: prog.fd, attachType: opts.attachType }).close();
        return 'bpf_link';
      } catch (err) {
        if (!(err instanceof SyscallError) || (err.errno !== Errno.EINVAL && err.errno !== Errno.ENOTSUPP)) throw err;
        sys.rawTracepointOpen({ progFd: prog.fd }).close();
        return 'raw_tracepoint_open';
      } finally {
        prog.close();
      }
    },
    minimumKernel,
  );
}

/** BPF_LINK_CREATE for `kind`, or NotSupportedError where the kernel has only BPF_RAW_TRACEPOINT_OPEN for it. */
export function haveTracingLink(kind: 'fentry' | 'fexit' | 'fmod_ret' | 'tp_btf' | 'lsm'): void {
  if (probeAttachKind(kind) !== 'bpf_link') {
    throw new NotSupportedError(`BPF_LINK_CREATE for ${kind} programs`, { minimumKernel: kind === 'tp_btf' ? '6.10' : '5.19', detail: 'the kernel attaches them with BPF_RAW_TRACEPOINT_OPEN only' });
  }
}

/** Whether LSM programs load (they attach whether or not the BPF LSM is active). */
export const lsmLoads = loads('LSM programs', { type: ProgramType.LSM, attachType: AttachType.LSMMac, attachTo: 'file_mprotect' }, '5.7');

/** struct_ops maps made for links (BPF_F_LINK, 6.4); older kernels reject the flag with EINVAL. */
const structOpsLinks = sys.probe(
  'struct_ops links',
  () => {
    try {
      BpfMap.create({ type: MapType.StructOpsMap, structOps: 'tcp_congestion_ops', flags: sys.MapFlags.Link }).close();
    } catch (err) {
      if (err instanceof SymbolNotFoundError) throw new NotSupportedError('struct_ops', { detail: 'kernel BTF has no bpf_struct_ops_tcp_congestion_ops', cause: err });
      if (err instanceof SyscallError && err.errno === Errno.EINVAL) throw new NotSupportedError('struct_ops links', { detail: 'struct_ops maps with BPF_F_LINK are refused with EINVAL', cause: err });
      throw err;
    }
  },
  '6.4',
);
const structOpsLoads = loads('struct_ops programs (tcp_congestion_ops)', { type: ProgramType.StructOps, attachTo: 'tcp_congestion_ops:cong_avoid' }, '5.6');
const perfLinkOrIoctl = (): LinkMechanism => {
  try {
    sys.haveBPFLinkPerfEvent();
    return 'perf_event+bpf_link';
  } catch (err) {
    if (!isNotSupported(err)) throw err;
    return 'perf_event+ioctl';
  }
};
const link = (): LinkMechanism => (sys.haveBPFLink(), 'bpf_link');
const lsmActive = sys.probe('bpf LSM active', () => {
  const path = '/sys/kernel/security/lsm';
  const active = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
  if (!active.split(',').includes('bpf')) {
    throw new NotSupportedError('bpf LSM', { detail: `bpf is not in ${path} (${active || 'not readable'}): LSM programs would attach but never run; boot with lsm=...,bpf` });
  }
});

const lsmAttach = tracingAttach('LSM programs (on file_mprotect)', { type: ProgramType.LSM, attachType: AttachType.LSMMac, attachTo: 'file_mprotect' }, '5.7');

/** An Extension program replacing the global function of a socket filter (both with BTF func info). */
const freplaceLoads = sys.probe(
  'freplace (Extension programs)',
  () => {
    const feature = 'freplace (Extension programs)';
    const btf = (): { data: Uint8Array; funcInfo: { insnOffset: number; typeId: number }[] } => {
      const b = new BtfBuilder();
      const proto = b.funcProto(b.int('int', 4, { signed: true }), [{ name: 'skb', type: b.ptr(b.struct('__sk_buff', 0, [])) }]);
      const typeId = b.func('probe_target', proto, Linkage.Global);
      return { data: b.encode(), funcInfo: [{ insnOffset: 0, typeId }] };
    };
    const target = probeLoad(feature, { type: ProgramType.SocketFilter, name: 'probe_target', btf: btf() });
    try {
      probeLoad(feature, { type: ProgramType.Extension, attachTarget: target, attachTo: 'probe_target', btf: btf() }).close();
    } finally {
      target.close();
    }
  },
  '5.6',
);

const PROBES: Record<AttachKind, Probe> = {
  cgroup: () => {
    try {
      return link();
    } catch (err) {
      if (!isNotSupported(err)) throw err;
      sys.haveProgAttach();
      return 'prog_attach';
    }
  },
  iter: () => (loads('bpf_iter', { type: ProgramType.Tracing, attachType: AttachType.TraceIter, attachTo: 'bpf_map' }, '5.8')(), link()),
  netns: () => (loads('sk_lookup programs', { type: ProgramType.SkLookup, attachType: AttachType.SkLookup }, '5.9')(), link()),
  socket_filter: () => (loads('socket filter programs', { type: ProgramType.SocketFilter })(), 'setsockopt'),
  xdp: () => (loads('XDP programs', { type: ProgramType.XDP, attachType: AttachType.XDP }, '5.9')(), link()),
  tcx: () => (sys.haveTCX(), 'bpf_link'),
  netkit: () => (sys.haveNetkit(), 'bpf_link'),
  netfilter: () => (loads('netfilter programs', { type: ProgramType.Netfilter, attachType: AttachType.Netfilter }, '6.4')(), link()),
  struct_ops: () => (structOpsLinks(), structOpsLoads(), link()),
  kprobe: () => (sys.haveKprobes(), perfLinkOrIoctl()),
  kretprobe: () => (sys.haveKprobes(), perfLinkOrIoctl()),
  kprobe_multi: () => (sys.haveKprobeMulti(), 'bpf_link'),
  kretprobe_multi: () => (sys.haveKprobeMulti(), 'bpf_link'),
  kprobe_session: () => (sys.haveKprobeSession(), 'bpf_link'),
  uprobe: () => (sys.haveUprobes(), perfLinkOrIoctl()),
  uretprobe: () => (sys.haveUprobes(), perfLinkOrIoctl()),
  uprobe_multi: () => (sys.haveUprobeMulti(), 'bpf_link'),
  uretprobe_multi: () => (sys.haveUprobeMulti(), 'bpf_link'),
  usdt: () => {
    sys.haveUprobes();
    try {
      sys.haveUprobeMulti();
      return 'uprobe_multi';
    } catch (err) {
      if (!isNotSupported(err)) throw err;
      // One uprobe per location, each raising the probe's semaphore through the PMU's ref_ctr_offset.
      sys.haveRefCtrOffsetPMU();
      return perfLinkOrIoctl();
    }
  },
  tracepoint: () => (loads('tracepoint programs', { type: ProgramType.TracePoint })(), perfLinkOrIoctl()),
  raw_tracepoint: () => (loads('raw tracepoint programs', { type: ProgramType.RawTracepoint }, '4.17')(), 'raw_tracepoint_open'),
  fentry: tracingAttach('fentry programs (on bpf_fentry_test1)', { type: ProgramType.Tracing, attachType: AttachType.TraceFEntry, attachTo: 'bpf_fentry_test1' }, '5.5'),
  fexit: tracingAttach('fexit programs (on bpf_fentry_test1)', { type: ProgramType.Tracing, attachType: AttachType.TraceFExit, attachTo: 'bpf_fentry_test1' }, '5.5'),
  // security_* functions are modifiable on every kernel; bpf_modify_return_test only from 6.12 on.
  fmod_ret: tracingAttach('fmod_ret programs (on security_task_getsid)', { type: ProgramType.Tracing, attachType: AttachType.ModifyReturn, attachTo: 'security_task_getsid' }, '5.7'),
  tp_btf: tracingAttach('tp_btf programs (on sys_enter)', { type: ProgramType.Tracing, attachType: AttachType.TraceRawTp, attachTo: 'sys_enter' }, '5.5'),
  lsm: () => {
    lsmLoads();
    lsmActive();
    return lsmAttach();
  },
  freplace: () => (freplaceLoads(), link()),
  perf_event: () => (loads('perf event programs', { type: ProgramType.PerfEvent })(), perfLinkOrIoctl()),
};

let report: FeatureReport[] | undefined;

/** The path an attach of `kind` takes here, or the probe's NotSupportedError (tests skip on it). */
export function probeAttachKind(kind: AttachKind): FeatureReport['mechanism'] {
  return PROBES[kind]();
}

function probeKind(kind: AttachKind): FeatureReport {
  try {
    return { kind, supported: true, mechanism: probeAttachKind(kind) };
  } catch (err) {
    const e = err as Error & { minimumKernel?: string; missingConfig?: string; refusal?: string };
    return {
      kind,
      supported: false,
      reason: isNotSupported(err) ? e.message : `probe failed: ${e.message}`,
      ...(e.minimumKernel ? { minimumKernel: e.minimumKernel } : {}),
      ...(e.missingConfig ? { missingConfig: e.missingConfig } : {}),
      ...(e.refusal ? { refusal: e.refusal } : {}),
    };
  }
}

/** Which attach kinds this kernel supports, and why not where it does not. Memoised; never throws. */
export function features(): FeatureReport[] {
  report ??= AttachKinds.map(probeKind);
  return report.map((r) => ({ ...r }));
}

/** One kind's entry of features(). */
export function feature(kind: AttachKind): FeatureReport {
  return features().find((r) => r.kind === kind)!;
}
