import { existsSync, readFileSync } from 'node:fs';
import { errnoName, isNotSupported, NotSupportedError, SyscallError } from '@bpfkit/errors';
import { asm, AttachType, Program, ProgramType, type ProgramLoadOptions } from '@bpfkit/ebpf';
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
  /** The path an attach of this kind takes on this kernel. */
  mechanism?: LinkMechanism | 'setsockopt' | 'uprobe_multi' | 'perf_event';
}

type Probe = () => FeatureReport['mechanism'];

const EPERM = 1;
const TRIVIAL = [asm.mov64('r0', 0), asm.exit()];

/** A memoised program load: supported when the kernel loads `opts`; EPERM and friends name the refusal. */
function loads(feature: string, opts: Omit<ProgramLoadOptions, 'instructions' | 'license'>, minimumKernel?: string): () => void {
  return sys.probe(
    feature,
    () => {
      try {
        Program.load({ ...opts, instructions: TRIVIAL, license: 'GPL' }).close();
      } catch (err) {
        if (err instanceof SyscallError) {
          if (err.errno === EPERM) throw new NotSupportedError(feature, { refusal: `program loads of this type refused with ${errnoName(err.errno)}`, cause: err });
          throw new NotSupportedError(feature, { detail: `program load failed: ${err.code}`, cause: err });
        }
        if (isNotSupported(err)) throw err;
        throw new NotSupportedError(feature, { detail: (err as Error).message, cause: err });
      }
    },
    minimumKernel,
  );
}

const trampolines = loads('BPF trampolines (fentry on bpf_fentry_test1)', { type: ProgramType.Tracing, attachType: AttachType.TraceFEntry, attachTo: 'bpf_fentry_test1' }, '5.5');
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
  struct_ops: () => (trampolines(), link()),
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
  raw_tracepoint: () => {
    loads('raw tracepoint programs', { type: ProgramType.RawTracepoint }, '4.17')();
    try {
      return link();
    } catch (err) {
      if (!isNotSupported(err)) throw err;
      return 'raw_tracepoint_open';
    }
  },
  fentry: () => (trampolines(), 'bpf_link'),
  fexit: () => (loads('fexit programs', { type: ProgramType.Tracing, attachType: AttachType.TraceFExit, attachTo: 'bpf_fentry_test1' }, '5.5')(), 'bpf_link'),
  fmod_ret: () => (loads('fmod_ret programs', { type: ProgramType.Tracing, attachType: AttachType.ModifyReturn, attachTo: 'bpf_modify_return_test' }, '5.7')(), 'bpf_link'),
  tp_btf: () => (loads('tp_btf programs', { type: ProgramType.Tracing, attachType: AttachType.TraceRawTp, attachTo: 'sys_enter' }, '5.5')(), 'bpf_link'),
  lsm: () => (loads('LSM programs', { type: ProgramType.LSM, attachType: AttachType.LSMMac, attachTo: 'file_mprotect' }, '5.7')(), lsmActive(), 'bpf_link'),
  freplace: () => (trampolines(), 'bpf_link'),
  perf_event: () => (loads('perf event programs', { type: ProgramType.PerfEvent })(), perfLinkOrIoctl()),
};

let report: FeatureReport[] | undefined;

function probeKind(kind: AttachKind): FeatureReport {
  try {
    return { kind, supported: true, mechanism: PROBES[kind]() };
  } catch (err) {
    const e = err as Error & { minimumKernel?: string };
    return {
      kind,
      supported: false,
      reason: isNotSupported(err) ? e.message : `probe failed: ${e.message}`,
      ...(e.minimumKernel ? { minimumKernel: e.minimumKernel } : {}),
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
