/**
 * Network namespaces: pinned like `ip netns add` (a bind mount of an nsfs file under /run/netns),
 * entered for a synchronous callback, opened by path, name or pid.
 *
 * setns(2) moves only the calling OS thread. withNetns() switches the calling thread (Node's
 * main thread, or a worker's thread) for the duration of a synchronous callback and always
 * switches it back before returning or throwing, so no other JavaScript ever runs in the wrong
 * namespace. libuv's thread pool (fs, dns) stays in the original namespace throughout.
 */
import { closeSync, fstatSync, mkdirSync, openSync, constants as fsConstants } from 'node:fs';
import { BpfError, closedError, Errno, fromNodeError, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { FD, ioctl, Mount, mount, Ns, setns, umount2, unlink, unshare } from '@bpfkit/sys';
import { checkNetnsName } from './names.js';

export const NETNS_RUN_DIR = '/run/netns';
const CURRENT_NETNS = '/proc/thread-self/ns/net';
/** `NS_GET_NSTYPE` = _IO(0xb7, 0x3): the CLONE_NEW* type of an nsfs file (4.11). */
const NS_GET_NSTYPE = 0xb703;

/** A pinned network namespace: its name under /run/netns, and an open fd on it. */
export class Netns {
  readonly name: string;
  readonly path: string;
  readonly #fd: FD;

  /** @internal Built by createNetns(). */
  constructor(fd: FD, name: string, path: string) {
    this.#fd = fd;
    this.name = name;
    this.path = path;
  }

  /** The namespace fd (-1 once closed). */
  get fd(): number {
    return this.#fd.fd;
  }

  /** The namespace's inode number: what `ls -L -i /proc/<pid>/ns/net` and bpf link info show. */
  get inode(): number {
    if (this.#fd.closed) throw closedError(`netns ${this.name}`, { argument: 'netns' });
    return fstatSync(this.#fd.fd).ino;
  }

  /** Closes the fd. The namespace stays pinned under /run/netns until deleteNetns(). */
  close(): void {
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `netns ${this.name}`;
  }
}

/** A namespace to act in: a Netns, an owned FD, a raw fd number, a name under /run/netns or a path. */
export type NetnsRef = Netns | FD | number | string;

function withContext(err: unknown, context: string): unknown {
  return err instanceof SyscallError ? err.withContext(context) : err;
}

function openPath(path: string, context: string): FD {
  try {
    return new FD(openSync(path, fsConstants.O_RDONLY), 'netns');
  } catch (err) {
    throw fromNodeError(err, 'open', { context });
  }
}

function netnsPath(pathOrPid: unknown): string {
  if (typeof pathOrPid === 'number') {
    if (!Number.isInteger(pathOrPid) || pathOrPid < 1) throw new InvalidArgumentError('pid', `must be a positive integer, got ${pathOrPid}`);
    return `/proc/${pathOrPid}/ns/net`;
  }
  if (typeof pathOrPid !== 'string' || pathOrPid.length === 0) {
    throw new InvalidArgumentError('netns', 'must be a path, a name under /run/netns or a pid');
  }
  return pathOrPid.includes('/') ? pathOrPid : `${NETNS_RUN_DIR}/${checkNetnsName(pathOrPid, 'netns')}`;
}

/**
 * An owned fd on a network namespace: `netnsFd('/proc/1/ns/net')`, `netnsFd('blue')` (under
 * /run/netns, as `ip netns add blue` makes it) or `netnsFd(pid)`. A file that is not a network
 * namespace throws InvalidArgumentError; a missing one SyscallError ENOENT.
 */
export function netnsFd(pathOrPid: string | number): FD {
  const path = netnsPath(pathOrPid);
  const fd = openPath(path, `open netns ${path}`);
  let type: number;
  try {
    type = ioctl(fd.fd, NS_GET_NSTYPE, 0);
  } catch (err) {
    fd.close();
    if (err instanceof SyscallError && (err.errno === Errno.ENOTTY || err.errno === Errno.EINVAL)) {
      throw new InvalidArgumentError('netns', `${path} is not a namespace file (nsfs)`, { cause: err });
    }
    throw withContext(err, `open netns ${path}`);
  }
  if (type !== Ns.CLONE_NEWNET) {
    fd.close();
    throw new InvalidArgumentError('netns', `${path} is a namespace of type 0x${type.toString(16)}, not a network namespace`);
  }
  return fd;
}

/** Runs `fn` with a raw fd for `ns`, opening (and closing) one when given a name, path or pid. */
export function withNetnsFd<T>(ns: NetnsRef, fn: (fd: number) => T): T {
  if (ns instanceof Netns || ns instanceof FD) {
    if (ns.fd < 0) throw closedError(String(ns), { argument: 'netns' });
    return fn(ns.fd);
  }
  if (typeof ns === 'number') {
    if (!Number.isInteger(ns) || ns < 0) throw new InvalidArgumentError('netns', `fd must be a non-negative integer, got ${ns}`);
    return fn(ns);
  }
  if (typeof ns === 'string') {
    const fd = netnsFd(ns);
    try {
      return fn(fd.fd);
    } finally {
      fd.close();
    }
  }
  throw new InvalidArgumentError('netns', `must be a Netns, an FD, an fd number, a name or a path, got ${ns === null ? 'null' : typeof ns}`);
}

function restore(original: FD): void {
  try {
    setns(original.fd, Ns.CLONE_NEWNET);
  } catch (err) {
    // The thread is stranded in the other namespace: nothing after this can be trusted.
    throw new BpfError(`could not return the calling thread to its original network namespace: ${(err as Error).message}`, { cause: err });
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs the synchronous `fn` with the calling thread in network namespace `ns`, and switches the
 * thread back before returning, also when `fn` throws. Sockets opened inside `fn` stay in `ns`
 * for their whole life; netlink helpers called inside act on `ns`.
 *
 * `fn` must not be async: everything after its first `await` would run in the original
 * namespace, so a Promise result throws InvalidArgumentError. Node's `dgram` binds after a
 * DNS-style lookup on the next tick; give it a synchronous lookup (`literalLookup`) so that
 * `bind()` inside `fn` happens inside `ns`.
 */
export function withNetns<T>(ns: NetnsRef, fn: () => T): T {
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'must be a function');
  return withNetnsFd(ns, (target) => {
    const original = openPath(CURRENT_NETNS, 'save the current netns');
    try {
      try {
        setns(target, Ns.CLONE_NEWNET);
      } catch (err) {
        throw withContext(err, `enter netns fd ${target}`);
      }
      let result: T;
      try {
        result = fn();
      } finally {
        restore(original);
      }
      if (isThenable(result)) {
        Promise.resolve(result).catch(() => undefined);
        throw new InvalidArgumentError(
          'fn',
          'returned a Promise; withNetns restores the namespace when fn returns, so work after an await would run outside it. Do the namespace-bound part (creating and binding sockets) synchronously inside fn and await outside',
        );
      }
      return result;
    } finally {
      original.close();
    }
  });
}

/** Makes /run/netns a shared mount point, as `ip netns add` does, so pins propagate between mount namespaces. */
function prepareRunDir(): void {
  try {
    mkdirSync(NETNS_RUN_DIR, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw fromNodeError(err, 'mkdir', { context: `create ${NETNS_RUN_DIR}` });
  }
  try {
    mount('', NETNS_RUN_DIR, 'none', Mount.MS_SHARED | Mount.MS_REC);
  } catch (err) {
    if (!(err instanceof SyscallError && err.errno === Errno.EINVAL)) throw withContext(err, `make ${NETNS_RUN_DIR} shared`);
    // Not a mount point yet: bind it onto itself, then share it.
    mount(NETNS_RUN_DIR, NETNS_RUN_DIR, 'none', Mount.MS_BIND | Mount.MS_REC);
    mount('', NETNS_RUN_DIR, 'none', Mount.MS_SHARED | Mount.MS_REC);
  }
}

let created = 0;

/** A netns name unique to this process: `bpfkit-<pid>-<n>`. */
export function uniqueNetnsName(): string {
  return `bpfkit-${process.pid}-${++created}`;
}

/**
 * Creates a network namespace pinned at /run/netns/<name> (`ip netns add <name>`; visible to
 * `ip netns list` and `ip netns exec`). The calling thread unshares into the new namespace only
 * for the bind mount and is back in its own before this returns. The pin outlives the returned
 * Netns: remove it with deleteNetns(). Its loopback device is down, as with `ip netns add`.
 */
export function createNetns(name?: string): Netns {
  const nsName = name === undefined ? uniqueNetnsName() : checkNetnsName(name);
  const path = `${NETNS_RUN_DIR}/${nsName}`;
  const context = `create netns ${nsName}`;
  prepareRunDir();
  try {
    closeSync(openSync(path, fsConstants.O_RDONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0));
  } catch (err) {
    throw fromNodeError(err, 'open', { context, hint: (err as NodeJS.ErrnoException).code === 'EEXIST' ? `${path} already exists` : undefined });
  }
  let mounted = false;
  try {
    const original = openPath(CURRENT_NETNS, 'save the current netns');
    try {
      unshare(Ns.CLONE_NEWNET);
      try {
        mount(CURRENT_NETNS, path, 'none', Mount.MS_BIND);
        mounted = true;
      } finally {
        restore(original);
      }
    } finally {
      original.close();
    }
    return new Netns(openPath(path, context), nsName, path);
  } catch (err) {
    if (mounted) umount2(path, Mount.MNT_DETACH);
    unlink(path);
    throw withContext(err, context);
  }
}

/**
 * Removes the pin of a namespace made by createNetns() or `ip netns add` (`ip netns delete`),
 * and closes the Netns if one is given. The kernel destroys the namespace, and the devices in
 * it, once no process, fd or mount holds it any more. A name that is not pinned throws
 * SyscallError ENOENT.
 */
export function deleteNetns(ns: Netns | string): void {
  const name = ns instanceof Netns ? ns.name : checkNetnsName(ns, 'netns');
  const path = `${NETNS_RUN_DIR}/${name}`;
  const context = `delete netns ${name}`;
  if (ns instanceof Netns) ns.close();
  try {
    umount2(path, Mount.MNT_DETACH);
  } catch (err) {
    // EINVAL: not a mount point, the file a failed `ip netns add` left; unlink it all the same.
    if (!(err instanceof SyscallError && err.errno === Errno.EINVAL)) throw withContext(err, context);
  }
  try {
    unlink(path);
  } catch (err) {
    throw withContext(err, context);
  }
}
