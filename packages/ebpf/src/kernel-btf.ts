import { Spec } from '@bpfkit/btf';
import { Errno, InvalidArgumentError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import type { FD } from '@bpfkit/sys';
import type { LoaderSyscalls } from './syscalls.js';


/**
 * The kernel BTF object of a module, as an owned fd (for attach_btf_obj_fd): walks BTF IDs as
 * cilium/ebpf does, since only the kernel knows which object ID a module's BTF has.
 */
export function moduleBTFObject(module: string, sc: LoaderSyscalls): FD {
  for (let id = sc.btfGetNextId(0); id !== undefined; id = sc.btfGetNextId(id)) {
    let fd: FD;
    try {
      fd = sc.btfGetFdById(id);
    } catch (err) {
      // Freed between GET_NEXT_ID and GET_FD_BY_ID.
      if (err instanceof SyscallError && err.errno === Errno.ENOENT) continue;
      throw err;
    }
    try {
      const info = sc.btfInfo(fd.fd);
      if (info.kernelBtf && info.name === module) return fd;
    } catch (err) {
      fd.close();
      throw err;
    }
    fd.close();
  }
  throw new SymbolNotFoundError(module, { path: 'loaded BTF objects', detail: 'no kernel BTF object for this module' });
}

/** The BTF of a loaded program (by its BTF ID), parsed. */
export function programBTF(progFd: number, what: string, sc: LoaderSyscalls): Spec {
  const { btfId } = sc.progInfo(progFd);
  if (!btfId) throw new InvalidArgumentError('attachTarget', `${what} was loaded without BTF, so its functions cannot be found`);
  const fd = sc.btfGetFdById(btfId);
  try {
    return Spec.parse(sc.btfInfo(fd.fd).btf(), { name: `BTF of ${what}` });
  } finally {
    fd.close();
  }
}
