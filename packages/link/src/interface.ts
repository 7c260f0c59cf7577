import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as netlink from '@bpfkit/netlink';

/** A network interface: its index or its name (e.g. 'eth0'). */
export type InterfaceRef = number | string;

const ENODEV = 19;

/**
 * The ifindex of `iface`, checked to exist before any attach syscall (the kernel answers EINVAL,
 * not ENODEV, for a missing ifindex on some hooks): code ENODEV naming the interface otherwise.
 */
export function resolveInterface(iface: InterfaceRef, what: string): number {
  if (typeof iface === 'number') {
    if (!Number.isInteger(iface) || iface < 1 || iface > 0x7fffffff) {
      throw new InvalidArgumentError('interface', `${what}: ${iface} is not an interface index (1 or more)`);
    }
  } else if (typeof iface !== 'string' || iface === '') {
    throw new InvalidArgumentError('interface', `${what}: expected an interface index or name`);
  }
  try {
    return typeof iface === 'number' ? (netlink.ifname(iface), iface) : netlink.ifindex(iface);
  } catch (err) {
    if (err instanceof SyscallError && err.errno === ENODEV) {
      throw new SyscallError(err.syscall, ENODEV, { context: `${what}: no interface ${typeof iface === 'number' ? `with index ${iface}` : `named ${iface}`}`, cause: err });
    }
    throw err;
  }
}
