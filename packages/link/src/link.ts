import { FdObject } from '@bpfkit/ebpf';
import { Errno, InvalidArgumentError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { decodeLinkInfo, type LinkInfo } from './info.js';
import { programFd, type ProgramRef } from './program-ref.js';
import { attachTypeNumber, targetNumber, type AttachTarget } from './target.js';

/**
 * How a link was made: a bpf_link fd, a perf event with a bpf_link or with the
 * PERF_EVENT_IOC_SET_BPF ioctl, a tracefs probe event, the legacy BPF_PROG_ATTACH, or
 * BPF_RAW_TRACEPOINT_OPEN.
 */
export type LinkMechanism = 'bpf_link' | 'perf_event+bpf_link' | 'perf_event+ioctl' | 'tracefs' | 'prog_attach' | 'raw_tracepoint_open';

/** An attachment of a program to a hook. Close it (or `using` it), or the finalizer will. */
export interface Link {
  /** The link's fd; -1 once closed, and always -1 for attachments that have no link fd. */
  readonly fd: number;
  readonly closed: boolean;
  readonly isPinned: boolean;
  readonly mechanism: LinkMechanism;
  /** Replace the attached program (NotSupportedError where the kind or kernel cannot). */
  update(program: ProgramRef): void;
  /** Pin into bpffs; pinning again moves the pin. */
  pin(path: string): void;
  unpin(): void;
  /** Detach from the hook; the link stays open (defunct) until closed. */
  detach(): void;
  info(): LinkInfo;
  /** Detach and free; idempotent. A pinned link stays attached. */
  close(): void;
  /** close() with the kernel's part on a thread-pool thread, so the event loop keeps running. */
  closeAsync(): Promise<void>;
  [Symbol.dispose](): void;
}

export interface RawLinkUpdateOptions {
  new: ProgramRef;
  /** Only replace if this program is the attached one (sets BPF_F_REPLACE). */
  old?: ProgramRef;
  flags?: number;
}

/** Constructor arguments every link class takes (newFromFD & co. build them generically). */
export interface RawLinkInit {
  mechanism?: LinkMechanism;
  pinnedPath?: string;
}

/**
 * A bpf_link fd. Every kind that the kernel represents as a bpf_link extends this. The fd, pin,
 * close and `using` come from ebpf's FdObject, which Program and BpfMap share.
 */
export class RawLink extends FdObject implements Link {
  readonly mechanism: LinkMechanism;

  /** @internal Use attachRawLink, newFromFD, newFromID or loadPinnedLink. */
  constructor(fd: sys.FD, init: RawLinkInit = {}) {
    super(fd, 'link', init.pinnedPath);
    this.mechanism = init.mechanism ?? 'bpf_link';
  }

  get isPinned(): boolean {
    return this.pinnedPath !== undefined;
  }

  /** A kind's name in messages ("XDP link", "cgroup link"...). */
  protected override get label(): string {
    return 'link';
  }

  /** Whether the kernel can swap this kind's program (the kinds that cannot say so before any syscall). */
  protected get updatable(): boolean {
    return true;
  }

  update(program: ProgramRef): void {
    if (program == null) throw new InvalidArgumentError('program', `update ${this.label}: a program is required`);
    this.updateArgs({ new: program });
  }

  /** BPF_LINK_UPDATE. With `old`, the kernel swaps only if `old` is the attached program. */
  updateArgs(opts: RawLinkUpdateOptions): void {
    if (!this.updatable) {
      throw new NotSupportedError(`updating a ${this.label}`, { detail: 'the kernel cannot swap the program of this link kind' });
    }
    if (opts == null || opts.new == null) throw new InvalidArgumentError('new', `update ${this.label}: a program is required`);
    const newProgFd = programFd(opts.new, `update ${this.label}`);
    const oldProgFd = opts.old == null ? undefined : programFd(opts.old, `update ${this.label}`, 'old');
    const flags = (opts.flags ?? 0) | (oldProgFd === undefined ? 0 : sys.AttachFlags.Replace);
    const linkFd = this.openFd('update');
    try {
      sys.linkUpdate({ linkFd, newProgFd, oldProgFd, flags: flags || undefined });
    } catch (err) {
      throw notSupportedOr(err, `update ${this.label}`, `updating a ${this.label}`);
    }
  }

  detach(): void {
    const fd = this.openFd('detach');
    try {
      sys.linkDetach(fd);
    } catch (err) {
      throw notSupportedOr(err, `detach ${this.label}`, `detaching a ${this.label}`);
    }
  }

  info(): LinkInfo {
    const fd = this.openFd('get info');
    try {
      return decodeLinkInfo(fd);
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext(`${this.label} info`) : err;
    }
  }

  toString(): string {
    return `${this.constructor.name}(fd ${this.fd})`;
  }
}

/** EOPNOTSUPP/ENOTSUPP as NotSupportedError (the kernel has no such op for the link); else context. */
export function notSupportedOr(err: unknown, context: string, feature: string): unknown {
  if (err instanceof SyscallError && (err.errno === Errno.EOPNOTSUPP || err.errno === Errno.ENOTSUPP)) {
    return new NotSupportedError(feature, { detail: `the kernel answered ${err.code}`, cause: err });
  }
  return err instanceof SyscallError ? err.withContext(context) : err;
}

export interface RawLinkOptions {
  /** fd or ifindex to attach to; what it means depends on the attach type (0 for none). */
  target: AttachTarget;
  program: ProgramRef;
  attach: number;
  /** target_btf_id (freplace). */
  btf?: number;
  flags?: number;
}

/** BPF_LINK_CREATE with the generic attr. Returns a plain RawLink (not the kind's class), as cilium does. */
export function attachRawLink(opts: RawLinkOptions): RawLink {
  const what = 'attach program';
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', `${what}: must be an object`);
  const targetFd = targetNumber(opts.target, what);
  const progFd = programFd(opts.program, what);
  const attachType = attachTypeNumber(opts.attach, what);
  sys.haveBPFLink();
  return new RawLink(createLink({ progFd, targetFd, attachType, flags: opts.flags, targetBtfId: opts.btf }, `${what} (attach type ${attachType}) to target ${targetFd}`));
}

/**
 * BPF_LINK_CREATE for every kind; a failure carries `context` (what was attempted). EINVAL gets a
 * hint instead of being taken for "not found": it has many causes.
 */
export function createLink(attr: sys.LinkCreateOptions, context: string): sys.FD {
  try {
    return sys.linkCreate(attr);
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    const hint =
      err.errno === Errno.EINVAL ? 'the program type or its expected attach type may not match the hook, or the kernel may not support this attach type' : err.hint;
    throw new SyscallError(err.syscall, err.errno, { context, hint, cause: err });
  }
}
