import { Errno, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';

/**
 * Creates a kernel object, lifting RLIMIT_MEMLOCK and retrying once on EPERM: kernels before
 * 5.11 charge maps, programs and BTF to the locked-memory limit (64 KiB on many systems), which a
 * few maps exhaust. Newer kernels account them to the memory cgroup and never get here. As
 * libbpf does, and unlike cilium, which leaves it to the caller (rlimit.RemoveMemlock).
 */
export function withMemlock<T>(create: () => T): T {
  try {
    return create();
  } catch (err) {
    if (!(err instanceof SyscallError && err.errno === Errno.EPERM) || !sys.removeMemlockLimit()) throw err;
    return create();
  }
}
