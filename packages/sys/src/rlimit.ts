/**
 * RLIMIT_MEMLOCK: kernels before 5.11 charge BPF maps and programs to it, and its default (often
 * 64 KiB or 8 MiB) refuses all but small maps with EPERM. Like libbpf and cilium's
 * rlimit.RemoveMemlock, callers lift it when a creation fails that way.
 */
import koffi from 'koffi';
import { SyscallError } from '@bpfkit/errors';

const RLIMIT_MEMLOCK = 8;
const RLIM_INFINITY = 0xffffffffffffffffn;
const EPERM = 1;

let prlimit: ((pid: number, resource: number, newLimit: Uint8Array | null, old: Uint8Array | null) => number) | undefined;

function bind(): NonNullable<typeof prlimit> {
  prlimit ??= koffi.load('libc.so.6').func('int prlimit(int pid, int resource, const void *new_limit, void *old_limit)');
  return prlimit;
}

/** `struct rlimit { rlim_t cur, max; }` (two u64s). */
export function encodeRlimit(cur: bigint, max: bigint): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, cur, true);
  view.setBigUint64(8, max, true);
  return out;
}

/** The process's RLIMIT_MEMLOCK (bytes; RLIM_INFINITY is 2^64 - 1). */
export function memlockLimit(): { cur: bigint; max: bigint } {
  const old = new Uint8Array(16);
  if (bind()(0, RLIMIT_MEMLOCK, null, old) < 0) throw new SyscallError('prlimit(RLIMIT_MEMLOCK)', koffi.errno());
  const view = new DataView(old.buffer);
  return { cur: view.getBigUint64(0, true), max: view.getBigUint64(8, true) };
}

/**
 * Lift RLIMIT_MEMLOCK: to unlimited where permitted (CAP_SYS_RESOURCE), else the soft limit up
 * to the hard one. Returns whether the limit grew, i.e. whether a retry may now succeed.
 */
export function removeMemlockLimit(): boolean {
  const { cur, max } = memlockLimit();
  if (cur === RLIM_INFINITY) return false;
  const set = (c: bigint, m: bigint): boolean => bind()(0, RLIMIT_MEMLOCK, encodeRlimit(c, m), null) === 0;
  if (set(RLIM_INFINITY, RLIM_INFINITY)) return true;
  const errno = koffi.errno();
  if (cur < max && set(max, max)) return true;
  if (cur < max) throw new SyscallError('prlimit(RLIMIT_MEMLOCK)', koffi.errno());
  // EPERM: no CAP_SYS_RESOURCE and the soft limit is already the hard one.
  if (errno !== EPERM) throw new SyscallError('prlimit(RLIMIT_MEMLOCK)', errno);
  return false;
}
