import { ProgramType } from '@bpfkit/ebpf';
import { Errno, InvalidArgumentError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { checkName, u64Option } from './arguments.js';
import { RawLink } from './link.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';
import { UnlinkedAttachment } from './unlinked.js';

/** A RawTracepoint program (or a tracing program attached through BPF_RAW_TRACEPOINT_OPEN). */
export class RawTracepointLink extends RawLink {
  protected override get label(): string {
    return 'raw tracepoint link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}

/** A BPF_RAW_TRACEPOINT_OPEN fd that is not a bpf_link (kernels before 5.7): it can only be closed. */
export class RawTracepointFdLink extends UnlinkedAttachment {
  readonly #fd: sys.FD;

  /** @internal */
  constructor(fd: sys.FD) {
    super('raw_tracepoint_open');
    this.#fd = fd;
  }

  protected get label(): string {
    return 'raw tracepoint attachment';
  }

  protected get why(): string {
    return 'kernels before 5.7 return a plain raw tracepoint fd from BPF_RAW_TRACEPOINT_OPEN';
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  close(): void {
    this.#fd.close();
  }

  closeAsync(): Promise<void> {
    return this.#fd.closeAsync();
  }
}

/**
 * BPF_RAW_TRACEPOINT_OPEN of `progFd`: on `name`, or without a name at the BTF target the program
 * was loaded for. The fd is a bpf_link from 5.7 on.
 */
export function openRawTracepoint(progFd: number, name: string | undefined, cookie: bigint | undefined, context: string): sys.FD {
  try {
    return sys.rawTracepointOpen({ name, progFd, cookie });
  } catch (err) {
    if (err instanceof SyscallError && err.errno === Errno.EINVAL && cookie !== undefined && cookie !== 0n) {
      throw new NotSupportedError('cookies on BPF_RAW_TRACEPOINT_OPEN', { minimumKernel: '6.10', detail: `${context}: the kernel answered EINVAL`, cause: err });
    }
    throw err instanceof SyscallError ? err.withContext(context) : err;
  }
}

export interface RawTracepointOptions {
  /** The tracepoint, e.g. `sys_enter` or `sched_switch` (no group). */
  name: string;
  program: ProgramRef;
  /** Read back with bpf_get_attach_cookie (6.10). */
  cookie?: number | bigint;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Attach a RawTracepoint(Writable) program to raw tracepoint `name` with BPF_RAW_TRACEPOINT_OPEN.
 * A tracepoint that does not exist gives code ENOENT.
 */
export function attachRawTracepoint(opts: RawTracepointOptions): RawTracepointLink | RawTracepointFdLink {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach raw tracepoint: options must be an object');
  const what = `attach raw tracepoint ${opts.name}`;
  checkName(opts.name, what, 'name');
  if (!IDENTIFIER.test(opts.name)) throw new InvalidArgumentError('name', `${what}: ${JSON.stringify(opts.name)} is not a tracepoint identifier`);
  const progFd = typedProgramFd(opts.program, what, { RawTracepoint: ProgramType.RawTracepoint, RawTracepointWritable: ProgramType.RawTracepointWritable });
  const cookie = u64Option(opts.cookie, what);
  const fd = openRawTracepoint(progFd, opts.name, cookie, what);
  if (sys.bpfObjectKind(fd.fd) !== 'link') return new RawTracepointFdLink(fd);
  return new RawTracepointLink(fd, { mechanism: 'raw_tracepoint_open' });
}
