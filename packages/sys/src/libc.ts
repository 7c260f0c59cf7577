/**
 * The koffi binding of libc: the only place in bpfkit that loads native code. Bound lazily, so
 * importing the package costs nothing until the first call. errno is read right after each call.
 */
import koffi from 'koffi';
import { NotSupportedError, SyscallError } from '@bpfkit/errors';
import { syscallNumbers, type SyscallNumbers } from './arch.js';

type Ptr = Uint8Array | null;

interface Libc {
  nr: SyscallNumbers;
  sysPtr: (nr: number, a1: number, a2: Ptr, a3: number) => number;
  sysPerf: (nr: number, attr: Ptr, pid: number, cpu: number, group: number, flags: number) => number;
  sys0: (nr: number) => number;
  getpid: () => number;
  getsid: (pid: number) => number;
  close: (fd: number) => number;
  closeAsync: { async: (fd: number, done: (err: unknown, ret: number) => void) => void };
  fcntl: (fd: number, cmd: number, arg: number) => number;
  ioctlInt: (fd: number, req: number, arg: number | bigint) => number;
  ioctlPtr: (fd: number, req: number, arg: Ptr) => number;
  socket: (domain: number, type: number, protocol: number) => number;
  bind: (fd: number, addr: Ptr, len: number) => number;
  connect: (fd: number, addr: Ptr, len: number) => number;
  getsockname: (fd: number, addr: Ptr, len: Uint32Array) => number;
  listen: (fd: number, backlog: number) => number;
  accept4: (fd: number, addr: Ptr, len: Ptr, flags: number) => number;
  sendto: (fd: number, buf: Ptr, len: number, flags: number, addr: Ptr, alen: number) => number;
  recvfrom: (fd: number, buf: Ptr, len: number, flags: number, addr: Ptr, alen: Ptr) => number;
  setsockopt: (fd: number, level: number, name: number, val: Ptr, len: number) => number;
  getsockopt: (fd: number, level: number, name: number, val: Ptr, len: Uint32Array) => number;
  setns: (fd: number, nstype: number) => number;
  unshare: (flags: number) => number;
  mount: (src: string | null, target: string, fstype: string | null, flags: number, data: string | null) => number;
  umount2: (target: string, flags: number) => number;
  statfs: (path: string, buf: Uint8Array) => number;
  unlink: (path: string) => number;
  renameat2: (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number;
}

let bound: Libc | undefined;

function libc(): Libc {
  if (bound) return bound;
  if (process.platform !== 'linux') {
    throw new NotSupportedError(`platform ${process.platform}`, { detail: 'eBPF needs Linux' });
  }
  const nr = syscallNumbers();
  const lib = koffi.load('libc.so.6');
  // Fixed-arity declarations of the variadic syscall(2): integer and pointer arguments use the
  // same registers on x86_64 and arm64, and this avoids koffi's (type, value) pairs.
  bound = {
    nr,
    sysPtr: lib.func('long syscall(long nr, long a1, void *a2, unsigned long a3)'),
    sysPerf: lib.func('long syscall(long nr, void *attr, int pid, int cpu, int group_fd, unsigned long flags)'),
    sys0: lib.func('long syscall(long nr)'),
    getpid: lib.func('int getpid()'),
    getsid: lib.func('int getsid(int pid)'),
    close: lib.func('int close(int fd)'),
    closeAsync: lib.func('int close(int fd)'),
    fcntl: lib.func('int fcntl(int fd, int cmd, long arg)'),
    ioctlInt: lib.func('int ioctl(int fd, unsigned long request, unsigned long arg)'),
    ioctlPtr: lib.func('int ioctl(int fd, unsigned long request, void *arg)'),
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: lib.func('int bind(int fd, const void *addr, uint32_t len)'),
    connect: lib.func('int connect(int fd, const void *addr, uint32_t len)'),
    getsockname: lib.func('int getsockname(int fd, void *addr, _Inout_ uint32_t *len)'),
    listen: lib.func('int listen(int fd, int backlog)'),
    accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)'),
    sendto: lib.func('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)'),
    recvfrom: lib.func('long recvfrom(int fd, void *buf, size_t len, int flags, void *addr, void *alen)'),
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)'),
    getsockopt: lib.func('int getsockopt(int fd, int level, int name, void *val, _Inout_ uint32_t *len)'),
    setns: lib.func('int setns(int fd, int nstype)'),
    unshare: lib.func('int unshare(int flags)'),
    mount: lib.func('int mount(const char *src, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    statfs: lib.func('int statfs(const char *path, void *buf)'),
    unlink: lib.func('int unlink(const char *path)'),
    renameat2: lib.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)'),
  } as Libc;
  return bound;
}

/** Runs one libc call; a negative result throws SyscallError with the errno read right after it. */
function check(ret: number, syscall: string): number {
  if (ret < 0) throw new SyscallError(syscall, koffi.errno());
  return ret;
}

/** The address of a buffer's first byte, for pointer fields in attrs. Keep `buf` alive until the call returns. */
export function addressOf(buf: Uint8Array): bigint {
  return BigInt(koffi.address(buf));
}

/** The raw bpf(2) call. Returns the result or throws with errno; no retries, no context. */
export function rawBpf(cmd: number, attr: Uint8Array, size: number): { ret: number; errno: number } {
  const l = libc();
  const ret = l.sysPtr(l.nr.bpf, cmd, attr, size);
  return { ret, errno: ret < 0 ? koffi.errno() : 0 };
}

export function rawPerfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number {
  const l = libc();
  return check(l.sysPerf(l.nr.perfEventOpen, attr, pid, cpu, groupFd, flags), 'perf_event_open');
}

export function gettid(): number {
  const l = libc();
  return l.sys0(l.nr.gettid);
}

/** getpid(2), a real syscall each time (glibc caches nothing): tests use it to fire syscall hooks. */
export function getpid(): number {
  return libc().getpid();
}

/** getsid(2): the session ID of `pid` (0: the caller). */
export function getsid(pid: number): number {
  return check(libc().getsid(pid), 'getsid');
}

export function closeRaw(fd: number): void {
  check(libc().close(fd), 'close');
}

/**
 * close(2) on a libuv thread-pool thread: closing a perf event or a link can wait for an RCU grace
 * period (tens of milliseconds), which must not stall the event loop. Linux releases the
 * descriptor whatever close returns, so the promise only rejects when the call could not be made.
 */
export function closeRawAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    libc().closeAsync.async(fd, (err) => (err ? reject(err) : resolve()));
  });
}

export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check(libc().fcntl(fd, cmd, arg), 'fcntl');
}

export function ioctl(fd: number, request: number, arg: number | bigint | Uint8Array): number {
  const l = libc();
  const ret = arg instanceof Uint8Array ? l.ioctlPtr(fd, request, arg) : l.ioctlInt(fd, request, arg);
  return check(ret, `ioctl(0x${request.toString(16)})`);
}

export function socketRaw(domain: number, type: number, protocol: number): number {
  return check(libc().socket(domain, type, protocol), 'socket');
}

export function bind(fd: number, sockaddr: Uint8Array): void {
  check(libc().bind(fd, sockaddr, sockaddr.byteLength), 'bind');
}

export function connect(fd: number, sockaddr: Uint8Array): void {
  check(libc().connect(fd, sockaddr, sockaddr.byteLength), 'connect');
}

/** Fills `sockaddr` with the socket's local address; returns the address length. */
export function getsockname(fd: number, sockaddr: Uint8Array): number {
  const len = new Uint32Array([sockaddr.byteLength]);
  check(libc().getsockname(fd, sockaddr, len), 'getsockname');
  return len[0]!;
}

export function listen(fd: number, backlog = 16): void {
  check(libc().listen(fd, backlog), 'listen');
}

/** accept4(2) without the peer address; returns the new (unowned) fd. EAGAIN on a non-blocking socket with nothing pending. */
export function acceptRaw(fd: number, flags: number): number {
  return check(libc().accept4(fd, null, null, flags), 'accept4');
}

export function sendto(fd: number, buf: Uint8Array, flags = 0, sockaddr?: Uint8Array): number {
  return check(
    libc().sendto(fd, buf, buf.byteLength, flags, sockaddr ?? null, sockaddr?.byteLength ?? 0),
    'sendto',
  );
}

/** Receives into `buf`; returns the number of bytes (the full datagram size with MSG_TRUNC). */
export function recvfrom(fd: number, buf: Uint8Array, flags = 0): number {
  return check(libc().recvfrom(fd, buf, buf.byteLength, flags, null, null), 'recvfrom');
}

export function setsockopt(fd: number, level: number, optname: number, value: Uint8Array | number): void {
  const buf = typeof value === 'number' ? new Uint8Array(new Int32Array([value]).buffer) : value;
  check(libc().setsockopt(fd, level, optname, buf, buf.byteLength), `setsockopt(${level}, ${optname})`);
}

/** Reads an option into `value`; returns the option's length. */
export function getsockopt(fd: number, level: number, optname: number, value: Uint8Array): number {
  const len = new Uint32Array([value.byteLength]);
  check(libc().getsockopt(fd, level, optname, value, len), `getsockopt(${level}, ${optname})`);
  return len[0]!;
}

export function setns(fd: number, nstype: number): void {
  check(libc().setns(fd, nstype), 'setns');
}

export function unshare(flags: number): void {
  check(libc().unshare(flags), 'unshare');
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  check(libc().mount(source, target, fstype, flags, data), `mount(${target})`);
}

export function umount2(target: string, flags: number): void {
  check(libc().umount2(target, flags), `umount2(${target})`);
}

/** statfs(2): the filesystem's magic number (`f_type`), e.g. BPF_FS_MAGIC for bpffs. */
export function statfs(path: string): { type: number } {
  const buf = new Uint8Array(120); // sizeof(struct statfs) on 64-bit Linux
  check(libc().statfs(path, buf), `statfs(${path})`);
  return { type: Number(new DataView(buf.buffer).getBigUint64(0, true) & 0xffffffffn) };
}

export function unlink(path: string): void {
  check(libc().unlink(path), `unlink(${path})`);
}

const AT_FDCWD = -100;

export function renameat2(oldPath: string, newPath: string, flags: number): void {
  check(libc().renameat2(AT_FDCWD, oldPath, AT_FDCWD, newPath, flags), 'renameat2');
}
