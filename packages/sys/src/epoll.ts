/**
 * epoll(7) and eventfd(2): how ring buffer readers wait for the kernel without blocking the
 * event loop. `epollWait` runs epoll_wait(2) on libuv's thread pool (koffi's async calls) and
 * resolves on the main thread; an eventfd in the set lets `close()` wake a pending wait.
 */
import koffi from 'koffi';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { FD } from './fd.js';

export const EpollEvents = { In: 0x1, Err: 0x8, Hup: 0x10 } as const;
const EPOLL_CLOEXEC = 0o2000000;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const EPOLL_CTL_ADD = 1;
const EINTR = 4;

interface EpollLibc {
  create: (flags: number) => number;
  ctl: (epfd: number, op: number, fd: number, event: Uint8Array) => number;
  wait: ((epfd: number, events: Uint8Array, max: number, timeout: number) => number) & {
    async: (epfd: number, events: Uint8Array, max: number, timeout: number, cb: (err: unknown, n: number) => void) => void;
  };
  eventfd: (initval: number, flags: number) => number;
  write: (fd: number, buf: Uint8Array, n: number) => number;
}

let bound: EpollLibc | undefined;

function lib(): EpollLibc {
  if (!bound) {
    const l = koffi.load('libc.so.6');
    bound = {
      create: l.func('int epoll_create1(int flags)'),
      ctl: l.func('int epoll_ctl(int epfd, int op, int fd, void *event)'),
      wait: l.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)'),
      eventfd: l.func('int eventfd(unsigned int initval, int flags)'),
      write: l.func('long write(int fd, const void *buf, size_t n)'),
    } as EpollLibc;
  }
  return bound;
}

/** sizeof(struct epoll_event): packed (12) on x86_64, naturally aligned (16) elsewhere. */
export function epollEventSize(arch: string = process.arch): number {
  return arch === 'x64' ? 12 : 16;
}

/** `struct epoll_event { u32 events; u64 data; }` as the kernel of `arch` lays it out. */
export function encodeEpollEvent(events: number, data: number, arch: string = process.arch): Uint8Array {
  const out = new Uint8Array(epollEventSize(arch));
  const view = new DataView(out.buffer);
  view.setUint32(0, events >>> 0, true);
  view.setBigUint64(arch === 'x64' ? 4 : 8, BigInt(data), true);
  return out;
}

/** Decode `count` epoll_events: each one's `data` (the number given to epollAdd) and events. */
export function decodeEpollEvents(buf: Uint8Array, count: number, arch: string = process.arch): { data: number; events: number }[] {
  const size = epollEventSize(arch);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: { data: number; events: number }[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ events: view.getUint32(i * size, true), data: Number(view.getBigUint64(i * size + (arch === 'x64' ? 4 : 8), true)) });
  }
  return out;
}

export function epollCreate(): FD {
  const fd = lib().create(EPOLL_CLOEXEC);
  if (fd < 0) throw new SyscallError('epoll_create1', koffi.errno());
  return new FD(fd, 'epoll');
}

/** EPOLL_CTL_ADD `fd` for `events`; `data` comes back with each of its events. */
export function epollAdd(epfd: number, fd: number, events: number, data: number): void {
  if (!Number.isSafeInteger(data) || data < 0) throw new InvalidArgumentError('data', `${data} is not a non-negative integer`);
  if (lib().ctl(epfd, EPOLL_CTL_ADD, fd, encodeEpollEvent(events, data)) < 0) throw new SyscallError('epoll_ctl(EPOLL_CTL_ADD)', koffi.errno());
}

/**
 * epoll_wait(2) on the thread pool: resolves with the ready events (EINTR resolves with none).
 * `timeout` is in milliseconds, -1 for no timeout.
 */
export function epollWait(epfd: number, maxEvents: number, timeout: number): Promise<{ data: number; events: number }[]> {
  const buf = new Uint8Array(maxEvents * epollEventSize());
  return new Promise((resolve, reject) => {
    lib().wait.async(epfd, buf, maxEvents, timeout, (err, n) => {
      if (err) return reject(err);
      if (n < 0) {
        const errno = koffi.errno();
        return errno === EINTR ? resolve([]) : reject(new SyscallError('epoll_wait', errno));
      }
      resolve(decodeEpollEvents(buf, n));
    });
  });
}

/** A non-blocking, close-on-exec eventfd. */
export function eventfd(): FD {
  const fd = lib().eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw new SyscallError('eventfd', koffi.errno());
  return new FD(fd, 'eventfd');
}

/** Add 1 to an eventfd's counter, waking its epoll waiters. */
export function eventfdSignal(fd: number): void {
  const one = new Uint8Array(8);
  one[0] = 1;
  if (lib().write(fd, one, 8) < 0) throw new SyscallError('write(eventfd)', koffi.errno());
}
