import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { Errno, InvalidArgumentError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { u64Option } from './arguments.js';
import { createLink, RawLink, type LinkMechanism } from './link.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';
import { openRawTracepoint, RawTracepointFdLink, RawTracepointLink } from './raw-tracepoint.js';

/** An fentry/fexit/fmod_ret/tp_btf, LSM or freplace program attached through a tracing link. */
export class TracingLink extends RawLink {
  protected override get label(): string {
    return 'tracing link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}

export interface TracingOptions {
  program: ProgramRef;
  /** TraceFEntry, TraceFExit, ModifyReturn or TraceRawTp (as loaded); omitted: BPF_RAW_TRACEPOINT_OPEN only. */
  attachType?: number;
  /** Read back with bpf_get_attach_cookie (needs BPF_LINK_CREATE for tracing, 5.19/6.0). */
  cookie?: number | bigint;
  /** Force BPF_RAW_TRACEPOINT_OPEN, the path of kernels without tracing links in BPF_LINK_CREATE (5.10). */
  mechanism?: 'bpf_link' | 'raw_tracepoint_open';
}

/** What attachTracing and attachLSM return: tp_btf programs make raw tracepoint links. */
export type AnyTracingLink = TracingLink | RawTracepointLink | RawTracepointFdLink;

const TRACING_ATTACH: Record<string, number> = {
  TraceFEntry: AttachType.TraceFEntry,
  TraceFExit: AttachType.TraceFExit,
  ModifyReturn: AttachType.ModifyReturn,
  TraceRawTp: AttachType.TraceRawTp,
};

/**
 * BPF_LINK_CREATE with the cookie; where the kernel refuses it for this attach type (EINVAL or
 * ENOTSUPP, 5.10) BPF_RAW_TRACEPOINT_OPEN, which takes no cookie.
 */
export function attachBTFID(progFd: number, attachType: number, cookie: bigint | undefined, what: string, mechanism?: TracingOptions['mechanism']): AnyTracingLink {
  if (attachType !== 0 && mechanism !== 'raw_tracepoint_open') {
    let fd: sys.FD | undefined;
    try {
      fd = createLink({ kind: 'tracing', progFd, attachType, cookie }, what);
    } catch (err) {
      const fallback = err instanceof SyscallError && (err.errno === Errno.EINVAL || err.errno === Errno.ENOTSUPP) && mechanism === undefined;
      if (!fallback) throw err;
    }
    if (fd) return wrapTracing(fd, 'bpf_link');
  }
  if (cookie !== undefined && cookie !== 0n) {
    throw new NotSupportedError(`cookies on ${what.replace(/^attach /, '')}`, {
      minimumKernel: '6.0',
      detail: 'this kernel has no tracing links in BPF_LINK_CREATE, and BPF_RAW_TRACEPOINT_OPEN carries no cookie for them',
    });
  }
  let fd: sys.FD;
  try {
    fd = openRawTracepoint(progFd, undefined, undefined, what);
  } catch (err) {
    // Before 5.11 the first attach uses up the program's trampoline target.
    if (err instanceof SyscallError && err.errno === Errno.ENOENT && sys.compareVersions(sys.kernelVersion(), '5.11') < 0) {
      throw new NotSupportedError('attaching a tracing or LSM program a second time', { minimumKernel: '5.11', detail: `${what}: load the program again`, cause: err });
    }
    throw err;
  }
  if (sys.bpfObjectKind(fd.fd) !== 'link') return new RawTracepointFdLink(fd);
  return wrapTracing(fd, 'raw_tracepoint_open');
}

/** The link's class by the type the kernel reports (tp_btf makes raw tracepoint links); closes `fd` on error. */
function wrapTracing(fd: sys.FD, mechanism: LinkMechanism): AnyTracingLink {
  let type: number;
  try {
    type = sys.linkInfo(fd.fd).type;
  } catch (err) {
    fd.close();
    throw err instanceof SyscallError ? err.withContext('tracing link info') : err;
  }
  return type === sys.LinkType.RawTracepoint ? new RawTracepointLink(fd, { mechanism }) : new TracingLink(fd, { mechanism });
}

/**
 * Attach a Tracing program (fentry, fexit, fmod_ret or tp_btf) to the target it was loaded for.
 * BPF_LINK_CREATE with the cookie, falling back to BPF_RAW_TRACEPOINT_OPEN on kernels without
 * tracing links (5.10).
 */
export function attachTracing(opts: TracingOptions): AnyTracingLink {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach tracing program: options must be an object');
  const what = 'attach tracing program';
  const progFd = typedProgramFd(opts.program, what, { Tracing: ProgramType.Tracing });
  const attachType = opts.attachType ?? 0;
  if (attachType !== 0 && !Object.values(TRACING_ATTACH).includes(attachType)) {
    throw new InvalidArgumentError('attachType', `${what}: attach type ${attachType} is not one of ${Object.keys(TRACING_ATTACH).join(', ')}`);
  }
  if (opts.mechanism !== undefined && opts.mechanism !== 'bpf_link' && opts.mechanism !== 'raw_tracepoint_open') {
    throw new InvalidArgumentError('mechanism', `${what}: mechanism must be 'bpf_link' or 'raw_tracepoint_open'`);
  }
  const name = Object.keys(TRACING_ATTACH).find((k) => TRACING_ATTACH[k] === attachType);
  return attachBTFID(progFd, attachType, u64Option(opts.cookie, what), name ? `${what} (${name})` : what, opts.mechanism);
}
