import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError } from '@bpfkit/errors';
import { u64Option } from './arguments.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';
import { attachBTFID, type AnyTracingLink } from './tracing.js';

export interface LSMOptions {
  /** An LSM program loaded with attachType LSMMac and `attachTo` a hook such as `file_mprotect`. */
  program: ProgramRef;
  /** Read back with bpf_get_attach_cookie (needs BPF_LINK_CREATE for LSM, 6.0). */
  cookie?: number | bigint;
  /** Force BPF_RAW_TRACEPOINT_OPEN, the path of kernels without LSM links in BPF_LINK_CREATE (5.10). */
  mechanism?: 'bpf_link' | 'raw_tracepoint_open';
}

/**
 * Attach an LSM program to the hook it was loaded for. It runs only where `bpf` is among the
 * active LSMs (/sys/kernel/security/lsm); elsewhere it attaches and never runs.
 */
export function attachLSM(opts: LSMOptions): AnyTracingLink {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach LSM program: options must be an object');
  const what = 'attach LSM program';
  const progFd = typedProgramFd(opts.program, what, { LSM: ProgramType.LSM });
  if (opts.mechanism !== undefined && opts.mechanism !== 'bpf_link' && opts.mechanism !== 'raw_tracepoint_open') {
    throw new InvalidArgumentError('mechanism', `${what}: mechanism must be 'bpf_link' or 'raw_tracepoint_open'`);
  }
  return attachBTFID(progFd, AttachType.LSMMac, u64Option(opts.cookie, what), what, opts.mechanism);
}
