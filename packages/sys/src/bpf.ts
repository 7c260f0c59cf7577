import { Errno, SyscallError } from '@bpfkit/errors';
import { cmdName } from './constants.js';
import { FD } from './fd.js';
import { rawBpf } from './libc.js';

const PROG_LOAD = 5;
const MAX_EAGAIN_RETRIES = 5;

const HINTS: Record<number, string> = {
  1: 'bpf() needs root or CAP_BPF (plus CAP_PERFMON or CAP_NET_ADMIN for some program types); ' +
    'kernel.unprivileged_bpf_disabled, lockdown or an LSM policy may also forbid it',
};

/**
 * Buffers that pointer fields of the attr in flight point into. Holding them here keeps them
 * reachable until the kernel has read them, whatever the optimiser does with the caller's locals.
 */
let inFlight: readonly unknown[] = [];

/** Runs `call` while `keepAlive` is guaranteed reachable. */
export function holding<T>(keepAlive: readonly unknown[], call: () => T): T {
  const outer = inFlight;
  inFlight = keepAlive;
  try {
    return call();
  } finally {
    inFlight = outer;
  }
}

/**
 * bpf(2). Returns the syscall's result; throws SyscallError naming the command. `keepAlive`
 * are the buffers the attr points into. PROG_LOAD is retried on EAGAIN (the verifier was
 * interrupted by a signal), as cilium/ebpf does.
 */
export function bpf(cmd: number, attr: Uint8Array, size: number = attr.byteLength, keepAlive: readonly unknown[] = []): number {
  return holding(keepAlive, () => {
    for (let attempt = 0; ; attempt++) {
      const { ret, errno } = rawBpf(cmd, attr, size);
      if (ret >= 0) return ret;
      if (errno === Errno.EAGAIN && cmd === PROG_LOAD && attempt < MAX_EAGAIN_RETRIES) continue;
      throw new SyscallError(`bpf(${cmdName(cmd)})`, errno, { hint: HINTS[errno] });
    }
  });
}

/** bpf(2) for commands that return a new file descriptor. */
export function bpfFD(cmd: number, attr: Uint8Array, label: string, keepAlive: readonly unknown[] = []): FD {
  return new FD(bpf(cmd, attr, attr.byteLength, keepAlive), label);
}
