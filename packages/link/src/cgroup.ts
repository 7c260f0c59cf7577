import { constants, openSync, readFileSync } from 'node:fs';
import { fromNodeError, InvalidArgumentError, isNotSupported, NotSupportedError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { parseMountInfo } from '@bpfkit/tracefs';
import type { LinkInfo } from './info.js';
import { createLink, RawLink, type Link } from './link.js';
import { programFd, type ProgramRef } from './program-ref.js';
import { attachTypeNumber } from './target.js';

export interface CgroupOptions {
  /** A cgroup v2 directory, e.g. /sys/fs/cgroup/my.slice. */
  path: string;
  /** One of the cgroup attach types (AttachType.CGroupInetEgress, ...); the program's expected attach type. */
  attach: number;
  program: ProgramRef;
  /**
   * 'bpf_link' (kernel 5.7+) or the legacy 'prog_attach', which outlives the process and survives
   * garbage collection. Default: bpf_link, and prog_attach only where the kernel has no cgroup links.
   */
  mechanism?: 'bpf_link' | 'prog_attach';
}

/** A cgroup program attached through a bpf_link. */
export class CgroupLink extends RawLink {
  protected override get label(): string {
    return 'cgroup link';
  }
}

/**
 * A cgroup program attached with BPF_PROG_ATTACH (ALLOW_MULTI where the kernel can replace
 * atomically, else ALLOW_OVERRIDE), emulating a link: it holds the cgroup and a duplicate of the
 * program fd, so closing the caller's program does not break close(). It has no link fd: pin,
 * unpin, detach and info are not supported.
 */
export class ProgAttachCgroupLink implements Link {
  readonly mechanism = 'prog_attach' as const;
  readonly isPinned = false;
  readonly #cgroup: sys.FD;
  readonly #attachType: number;
  readonly #flags: number;
  #current: sys.FD;

  /** @internal */
  constructor(cgroup: sys.FD, program: sys.FD, attachType: number, flags: number) {
    this.#cgroup = cgroup;
    this.#current = program;
    this.#attachType = attachType;
    this.#flags = flags;
  }

  /** Always -1: a PROG_ATTACH attachment has no link fd. */
  get fd(): number {
    return -1;
  }

  get closed(): boolean {
    return this.#cgroup.closed;
  }

  /** AttachFlags.AllowMulti or AttachFlags.AllowOverride: the mode the program was attached in. */
  get flags(): number {
    return this.#flags;
  }

  #check(what: string): number {
    if (this.#cgroup.closed) throw new InvalidArgumentError('link', `cannot ${what}: link closed`);
    return this.#cgroup.fd;
  }

  /** Re-attach with the new program; in ALLOW_MULTI mode it atomically replaces the current one. */
  update(program: ProgramRef): void {
    if (program == null) throw new InvalidArgumentError('program', 'update cgroup attachment: a program is required');
    const what = 'update cgroup attachment';
    const fd = programFd(program, what);
    const cgroupFd = this.#check('update');
    const next = new sys.FD(sys.dupFd(fd), 'prog');
    const multi = (this.#flags & sys.AttachFlags.AllowMulti) !== 0;
    try {
      sys.progAttach({
        targetFd: cgroupFd,
        attachBpfFd: next.fd,
        attachType: this.#attachType,
        attachFlags: this.#flags | (multi ? sys.AttachFlags.Replace : 0),
        ...(multi ? { replaceBpfFd: this.#current.fd } : {}),
      });
    } catch (err) {
      next.close();
      throw err instanceof SyscallError ? err.withContext(what) : err;
    }
    this.#current.close();
    this.#current = next;
  }

  pin(): void {
    this.#check('pin');
    throw new NotSupportedError('pinning a PROG_ATTACH cgroup attachment', { detail: 'it has no link fd' });
  }

  unpin(): void {
    throw new NotSupportedError('unpinning a PROG_ATTACH cgroup attachment', { detail: 'it has no link fd' });
  }

  detach(): void {
    this.#check('detach');
    throw new NotSupportedError('detaching a PROG_ATTACH cgroup attachment', { detail: 'close() detaches it' });
  }

  info(): LinkInfo {
    this.#check('get info');
    throw new NotSupportedError('info of a PROG_ATTACH cgroup attachment', { detail: 'it has no link fd' });
  }

  /** PROG_DETACH, then close the fds it holds. Idempotent (cilium's errs on the second call). */
  close(): void {
    if (this.#cgroup.closed) return;
    try {
      sys.progDetach({ targetFd: this.#cgroup.fd, attachBpfFd: this.#current.fd, attachType: this.#attachType });
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext('close cgroup attachment') : err;
    } finally {
      this.#current.close();
      this.#cgroup.close();
    }
  }

  async closeAsync(): Promise<void> {
    this.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Where this mount namespace has cgroup v2 mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on
 * hybrid hosts): the root under which cgroup directories for attachCgroup are made.
 * NotSupportedError when nothing is mounted.
 */
export function cgroup2Mount(): string {
  const mount = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).find((m) => m.fsType === 'cgroup2');
  if (!mount) throw new NotSupportedError('cgroup v2', { detail: 'no cgroup2 mount (mount -t cgroup2 none /sys/fs/cgroup)' });
  return mount.mountPoint;
}

/** Opens a cgroup v2 directory, or says why `path` is not one. */
export function openCgroup(path: string, what: string): sys.FD {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', `${what}: the cgroup path must be a non-empty string`);
  let raw: number;
  try {
    raw = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    throw fromNodeError(err, `open(${path})`, { context: `${what}: open cgroup` });
  }
  const fd = new sys.FD(raw, 'cgroup');
  try {
    if (sys.statfs(path).type !== sys.FsMagic.Cgroup2) {
      throw new InvalidArgumentError('path', `${what}: ${path} is not a cgroup v2 directory (mount -t cgroup2 none /sys/fs/cgroup)`);
    }
  } catch (err) {
    fd.close();
    throw err;
  }
  return fd;
}

/** Attach a cgroup program: through a bpf_link, else (kernels before 5.7) with PROG_ATTACH. */
export function attachCgroup(opts: CgroupOptions): CgroupLink | ProgAttachCgroupLink {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach cgroup: must be an object');
  const what = `attach cgroup program to ${opts.path}`;
  const progFd = programFd(opts.program, what);
  const attachType = attachTypeNumber(opts.attach, what);
  if (opts.mechanism !== undefined && opts.mechanism !== 'bpf_link' && opts.mechanism !== 'prog_attach') {
    throw new InvalidArgumentError('mechanism', `${what}: ${String(opts.mechanism)} is not 'bpf_link' or 'prog_attach'`);
  }
  const cgroup = openCgroup(opts.path, what);
  try {
    if (opts.mechanism !== 'prog_attach') {
      try {
        sys.haveBPFLink();
        return new CgroupLink(createLink({ progFd, targetFd: cgroup.fd, attachType }, what));
      } catch (err) {
        if (opts.mechanism === 'bpf_link' || !isNotSupported(err)) throw err;
      }
    }
    return progAttachCgroup(cgroup, progFd, attachType, what);
  } finally {
    // The emulated link keeps its own duplicate; a bpf_link needs none.
    cgroup.close();
  }
}

function progAttachCgroup(cgroup: sys.FD, progFd: number, attachType: number, what: string): ProgAttachCgroupLink {
  let flags: number = sys.AttachFlags.AllowOverride;
  try {
    sys.haveProgAttachReplace();
    flags = sys.AttachFlags.AllowMulti;
  } catch (err) {
    if (!isNotSupported(err)) throw err;
  }
  const held = cgroup.dup();
  const prog = new sys.FD(sys.dupFd(progFd), 'prog');
  try {
    sys.progAttach({ targetFd: held.fd, attachBpfFd: prog.fd, attachType, attachFlags: flags });
  } catch (err) {
    prog.close();
    held.close();
    throw err instanceof SyscallError ? err.withContext(`${what} with BPF_PROG_ATTACH`) : err;
  }
  return new ProgAttachCgroupLink(held, prog, attachType, flags);
}
