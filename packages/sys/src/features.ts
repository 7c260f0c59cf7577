/**
 * Feature probes used across bpfkit (cilium/ebpf internal + features packages). Each is memoised;
 * each returns when the kernel has the feature and throws NotSupportedError when it does not.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError, Errno, isNotSupported, NotSupportedError, SyscallError } from '@bpfkit/errors';
import { tracefsPath } from '@bpfkit/tracefs';
import { AttachType, AttachFlags, ProgType } from './constants.js';
import type { FD } from './fd.js';
import { progAttach, progQuery } from './attach.js';
import { linkCreate } from './link.js';
import { progLoad } from './prog.js';
import { compareVersions, kernelVersion, probe } from './probe.js';

const BAD_FD = 0xffff_ffff;

/** `r0 = 0; exit`: the smallest valid program. */
const RETURN_ZERO = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

function loadTrivial(progType: ProgType, expectedAttachType?: AttachType, license = 'MIT'): FD {
  return progLoad({ progType, insns: RETURN_ZERO, license, expectedAttachType });
}

/** The errno a probe call failed with, or undefined when it succeeded. */
function errnoOf(fn: () => unknown): number | undefined {
  try {
    const r = fn();
    (r as FD | undefined)?.close?.();
    return undefined;
  } catch (err) {
    if (err instanceof SyscallError) return err.errno;
    throw err;
  }
}

function unexpected(feature: string, errno: number | undefined): BpfError {
  return errno === undefined
    ? new BpfError(`${feature}: syscall succeeded unexpectedly`)
    : new SyscallError('bpf', errno, { context: `probing ${feature}` });
}

export const haveBPFLink = probe(
  'bpf_link',
  () => {
    const errno = errnoOf(() =>
      linkCreate({ progFd: BAD_FD, targetFd: BAD_FD, attachType: AttachType.CGroupInetIngress }),
    );
    if (errno === Errno.EBADF) return;
    if (errno === Errno.EINVAL) throw new NotSupportedError('bpf_link');
    throw unexpected('bpf_link', errno);
  },
  '5.7',
);

export const haveProgAttach = probe(
  'BPF_PROG_ATTACH',
  () => {
    try {
      loadTrivial(ProgType.CGroupSKB).close();
    } catch (err) {
      throw new NotSupportedError('BPF_PROG_ATTACH', { cause: err });
    }
  },
  '4.10',
);

export const haveProgAttachReplace = probe(
  'BPF_PROG_ATTACH atomic replacement of MULTI progs',
  () => {
    haveProgAttach();
    let prog: FD;
    try {
      prog = loadTrivial(ProgType.CGroupSKB, AttachType.CGroupInetIngress);
    } catch (err) {
      throw new NotSupportedError('BPF_PROG_ATTACH replace', { cause: err });
    }
    try {
      const errno = errnoOf(() =>
        progAttach({ targetFd: BAD_FD, attachBpfFd: prog.fd, attachType: AttachType.CGroupInetIngress, attachFlags: AttachFlags.Replace }),
      );
      if (errno === Errno.EBADF) return;
      if (errno === Errno.EINVAL) throw new NotSupportedError('BPF_PROG_ATTACH replace');
      throw unexpected('BPF_PROG_ATTACH replace', errno);
    } finally {
      prog.close();
    }
  },
  '5.5',
);

export const haveProgQuery = probe(
  'BPF_PROG_QUERY',
  () => {
    const errno = errnoOf(() => progQuery({ targetFd: BAD_FD, attachType: AttachType.CGroupInetIngress }));
    if (errno === Errno.EBADF) return;
    if (errno === undefined) throw unexpected('BPF_PROG_QUERY', errno);
    throw new NotSupportedError('BPF_PROG_QUERY');
  },
  '4.15',
);

function mprogProbe(feature: string, attachType: AttachType, kind: 'tcx' | 'netkit', minimumKernel: string, missingConfig?: string): () => void {
  return () => {
    let prog: FD;
    try {
      prog = loadTrivial(ProgType.SchedCLS);
    } catch (err) {
      if (!(err instanceof SyscallError)) throw err;
      throw new NotSupportedError(feature, { cause: err });
    }
    try {
      const errno = errnoOf(() => linkCreate({ kind, progFd: prog.fd, targetIfindex: BAD_FD, attachType }));
      if (errno === Errno.ENODEV) return;
      // A kernel new enough for the attach type but built without the driver says EINVAL too.
      const builtWithout = errno === Errno.EINVAL && compareVersions(kernelVersion(), minimumKernel) >= 0;
      throw new NotSupportedError(feature, { minimumKernel, missingConfig: builtWithout ? missingConfig : undefined });
    } finally {
      prog.close();
    }
  };
}

export const haveTCX = probe('tcx', mprogProbe('tcx', AttachType.TCXIngress, 'tcx', '6.6'), '6.6');

export const haveNetkit = probe('netkit', mprogProbe('netkit', AttachType.NetkitPrimary, 'netkit', '6.7', 'CONFIG_NETKIT'), '6.7');

export const haveBPFLinkPerfEvent = probe(
  'bpf_link_perf_event',
  () => {
    let prog: FD;
    try {
      prog = progLoad({ progType: ProgType.Kprobe, insns: RETURN_ZERO, license: 'MIT', progName: 'probe_perf_link' });
    } catch (err) {
      if (!(err instanceof SyscallError)) throw err;
      throw new NotSupportedError('bpf_link_perf_event', { cause: err });
    }
    try {
      const errno = errnoOf(() => linkCreate({ kind: 'perfEvent', progFd: prog.fd, targetFd: 0, attachType: AttachType.PerfEvent }));
      if (errno === Errno.EBADF) return;
      if (errno === Errno.EINVAL) throw new NotSupportedError('bpf_link_perf_event');
      throw unexpected('bpf_link_perf_event', errno);
    } finally {
      prog.close();
    }
  },
  '5.15',
);

const PMU_DIR = '/sys/bus/event_source/devices';

export const haveRefCtrOffsetPMU = probe(
  'RefCtrOffsetPMU',
  () => {
    if (!existsSync(`${PMU_DIR}/uprobe/format/ref_ctr_offset`)) throw new NotSupportedError('RefCtrOffsetPMU');
  },
  '4.20',
);

/** Whether tracefs, found by @bpfkit/tracefs's discovery (mountinfo, then the usual places), has `file`. */
function tracefsHas(file: string): boolean {
  let dir: string;
  try {
    dir = tracefsPath();
  } catch (err) {
    if (isNotSupported(err)) return false;
    throw err;
  }
  return existsSync(join(dir, file));
}

/** kprobes through the perf PMU or tracefs; their absence means CONFIG_KPROBES is off. */
export const haveKprobes = probe(
  'kprobe',
  () => {
    if (existsSync(`${PMU_DIR}/kprobe/type`) || tracefsHas('kprobe_events')) return;
    throw new NotSupportedError('kprobe', { missingConfig: 'CONFIG_KPROBES' });
  },
  '4.17',
);

/** uprobes through the perf PMU or tracefs; their absence means CONFIG_UPROBE_EVENTS is off. */
export const haveUprobes = probe(
  'uprobe',
  () => {
    if (existsSync(`${PMU_DIR}/uprobe/type`) || tracefsHas('uprobe_events')) return;
    throw new NotSupportedError('uprobe', { missingConfig: 'CONFIG_UPROBE_EVENTS' });
  },
  '4.17',
);

function multiProbe(feature: string, attachType: AttachType, progName: string, link: (progFd: number) => FD, ok: (errno: number | undefined) => boolean, missingConfig?: string): () => void {
  return () => {
    let prog: FD;
    try {
      prog = progLoad({ progType: ProgType.Kprobe, insns: RETURN_ZERO, license: 'MIT', progName, expectedAttachType: attachType });
    } catch (err) {
      if (err instanceof SyscallError && (err.errno === Errno.E2BIG || err.errno === Errno.EINVAL)) {
        throw new NotSupportedError(feature, { cause: err });
      }
      throw err;
    }
    try {
      const errno = errnoOf(() => link(prog.fd));
      if (ok(errno)) return;
      if (errno === Errno.EINVAL || errno === Errno.EOPNOTSUPP || errno === Errno.ENOTSUPP) {
        throw new NotSupportedError(feature, { missingConfig: errno === Errno.EINVAL ? undefined : missingConfig });
      }
      throw unexpected(feature, errno);
    } finally {
      prog.close();
    }
  };
}

export const haveKprobeMulti = probe(
  'bpf_link_kprobe_multi',
  multiProbe(
    'bpf_link_kprobe_multi',
    AttachType.TraceKprobeMulti,
    'probe_kpm_link',
    (progFd) => linkCreate({ kind: 'kprobeMulti', progFd, attachType: AttachType.TraceKprobeMulti, syms: ['vprintk'] }),
    (errno) => errno === undefined,
    'CONFIG_FPROBE',
  ),
  '5.18',
);

export const haveKprobeSession = probe(
  'bpf_link_kprobe_session',
  multiProbe(
    'bpf_link_kprobe_session',
    AttachType.TraceKprobeSession,
    'probe_kps_link',
    (progFd) => linkCreate({ kind: 'kprobeMulti', progFd, attachType: AttachType.TraceKprobeSession, syms: ['vprintk'] }),
    (errno) => errno === undefined,
    'CONFIG_FPROBE',
  ),
  '6.10',
);

export const haveUprobeMulti = probe(
  'bpf_link_uprobe_multi',
  multiProbe(
    'bpf_link_uprobe_multi',
    AttachType.TraceUprobeMulti,
    'probe_upm_link',
    (progFd) => linkCreate({ kind: 'uprobeMulti', progFd, attachType: AttachType.TraceUprobeMulti, path: '/', offsets: [0] }),
    (errno) => errno === Errno.EBADF,
  ),
  '6.6',
);
