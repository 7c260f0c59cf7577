import { Errno, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';

/** A network interface: its index or its name (e.g. 'eth0'). */
export type InterfaceRef = number | string;

// <linux/sockios.h>, the same on every architecture; struct ifreq is a 16-byte name, then the index.
const SIOCGIFNAME = 0x8910;
const SIOCGIFINDEX = 0x8933;
const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;

/**
 * The ifindex of `iface`, checked to exist before any attach syscall (the kernel answers EINVAL,
 * not ENODEV, for a missing ifindex on some hooks): code ENODEV naming the interface otherwise.
 * One ioctl on a throwaway socket, as if_nametoindex(3) does: a socket answers for the network
 * namespace of the thread that made it, like the netlink look-up it replaces, at a tenth of the
 * cost (it runs on every XDP, TCX and netkit attach).
 */
export function resolveInterface(iface: InterfaceRef, what: string): number {
  if (typeof iface === 'number') {
    if (!Number.isInteger(iface) || iface < 1 || iface > 0x7fffffff) {
      throw new InvalidArgumentError('interface', `${what}: ${iface} is not an interface index (1 or more)`);
    }
  } else if (typeof iface !== 'string' || iface === '') {
    throw new InvalidArgumentError('interface', `${what}: expected an interface index or name`);
  } else if (Buffer.byteLength(iface) >= IFNAMSIZ || iface.includes('\0') || iface.includes('/')) {
    throw new InvalidArgumentError('interface', `${what}: ${JSON.stringify(iface)} is not an interface name (at most 15 bytes, no '/' or NUL)`);
  }
  const ifreq = new Uint8Array(IFREQ_SIZE);
  const view = new DataView(ifreq.buffer);
  if (typeof iface === 'number') view.setInt32(IFNAMSIZ, iface, true);
  else ifreq.set(Buffer.from(iface), 0);
  const sock = sys.socket(sys.Sock.AF_UNIX, sys.Sock.SOCK_DGRAM | sys.Sock.SOCK_CLOEXEC, 0);
  try {
    sys.ioctl(sock.fd, typeof iface === 'number' ? SIOCGIFNAME : SIOCGIFINDEX, ifreq);
  } catch (err) {
    if (err instanceof SyscallError && err.errno === Errno.ENODEV) {
      throw new SyscallError(err.syscall, Errno.ENODEV, { context: `${what}: no interface ${typeof iface === 'number' ? `with index ${iface}` : `named ${iface}`}`, cause: err });
    }
    throw err instanceof SyscallError ? err.withContext(`${what}: look up interface ${iface}`) : err;
  } finally {
    sock.close();
  }
  return typeof iface === 'number' ? iface : view.getInt32(IFNAMSIZ, true);
}
