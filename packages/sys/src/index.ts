export * from '@bpfkit/errors';
export { syscallNumbers } from './arch.js';
export type { SyscallNumbers } from './arch.js';
export { AttrReader, AttrWriter, cString } from './attr.js';
export { bpf, bpfFD, holding } from './bpf.js';
export * from './constants.js';
export { close, dupFd, FD, fdOf, onFinalizedFD, resolveOwners } from './fd.js';
export type { FdLike, WithOwners } from './fd.js';
export {
  addressOf,
  bind,
  connect,
  fcntl,
  getsockname,
  getpid,
  getsid,
  getsockopt,
  gettid,
  ioctl,
  listen,
  mount,
  recvfrom,
  renameat2,
  sendto,
  setns,
  setsockopt,
  statfs,
  umount2,
  unlink,
  unshare,
} from './libc.js';
export { accept, socket } from './socket.js';
export * from './prog.js';
export * from './map.js';
export * from './obj.js';
export * from './attach.js';
export * from './link.js';
export * from './iter.js';
export * from './stats.js';
export * from './btf.js';
export * from './perf.js';
export * from './info.js';
export * from './probe.js';
export * from './features.js';
export { Mapping, mmap, pageSize, Prot } from './mmap.js';
export { decodeEpollEvents, encodeEpollEvent, epollAdd, epollCreate, epollEventSize, EpollEvents, epollWait, eventfd, eventfdSignal } from './epoll.js';
export { encodeRlimit, memlockLimit, removeMemlockLimit } from './rlimit.js';
