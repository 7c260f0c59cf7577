import { FD } from './fd.js';
import { acceptRaw, socketRaw } from './libc.js';

/** socket(2), owned. Add Sock.SOCK_CLOEXEC to `type` unless the fd must survive exec. */
export function socket(domain: number, type: number, protocol: number): FD {
  return new FD(socketRaw(domain, type, protocol), 'socket');
}

/** accept4(2), owned: the next pending connection of a listening socket. */
export function accept(fd: number, flags: number): FD {
  return new FD(acceptRaw(fd, flags), 'socket');
}
