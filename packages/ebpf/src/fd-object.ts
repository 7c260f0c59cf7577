import { closedError, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { adopt, checkForeignFd, checkObjectId, OBJECT_LABEL, openPinned, type PinnedOptions } from './object.js';


const GET_FD_BY_ID: Partial<Record<sys.BpfObjectKind, (id: number) => sys.FD>> = {
  prog: sys.progGetFdById,
  map: sys.mapGetFdById,
  link: sys.linkGetFdById,
  btf: sys.btfGetFdById,
};

/**
 * What Program, Map and link's RawLink share: one owned fd, an optional bpffs pin, close and
 * `using`. A closed object fails every use, and every use as another call's argument, with one
 * error naming it ("program closed").
 */
export abstract class FdObject {
  readonly #fd: sys.FD;
  readonly #kind: sys.BpfObjectKind;
  #pinnedPath: string | undefined;

  protected constructor(fd: sys.FD, kind: sys.BpfObjectKind, pinnedPath?: string) {
    this.#fd = fd;
    this.#kind = kind;
    this.#pinnedPath = pinnedPath;
  }

  /** The raw fd; -1 once closed. */
  get fd(): number {
    return this.#fd.fd;
  }

  /** Whether close() (or `using`, or the finalizer) has released the fd. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /** Where the object is pinned, if it was pinned or loaded from a pin by this object. */
  get pinnedPath(): string | undefined {
    return this.#pinnedPath;
  }

  /** What messages call the object ("program", "map", "XDP link"...). */
  protected get label(): string {
    return OBJECT_LABEL[this.#kind];
  }

  /** The open fd for `attempted`, or the used-after-close error. */
  protected openFd(attempted: string): number {
    if (this.#fd.closed) throw closedError(this.label, { argument: OBJECT_LABEL[this.#kind], attempted });
    return this.#fd.fd;
  }

  /** A duplicate of the fd, for clone(). */
  protected dupFd(): sys.FD {
    this.openFd('clone');
    return this.#fd.dup();
  }

  /** Pin to a bpffs path; pinning again moves the pin (cilium's semantics). */
  pin(path: string): void {
    const fd = this.openFd('pin');
    try {
      sys.pin(this.#pinnedPath, path, fd);
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext(`pin ${this.label} at ${path}`) : err;
    }
    this.#pinnedPath = path;
  }

  /** Remove the pin made by pin() or found by loadPinned(); a missing pin is not an error. */
  unpin(): void {
    try {
      sys.unpin(this.#pinnedPath);
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext(`unpin ${this.label} at ${this.#pinnedPath}`) : err;
    }
    this.#pinnedPath = undefined;
  }

  /** Close the fd; idempotent. Pins stay. */
  close(): void {
    this.#fd.close();
  }

  /** close() with the kernel's part on a thread-pool thread, so the event loop keeps running. */
  closeAsync(): Promise<void> {
    return this.#fd.closeAsync();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * The fd of an object passed as `argument` to another call (an inner map, an attach target, the
 * program a link attaches): a closed one fails as using it directly does.
 */
export function argumentFd(object: { readonly fd: number }, argument: string, label: string): number {
  const fd = object.fd;
  if (!Number.isInteger(fd) || fd < 0) throw closedError(label, { argument });
  return fd;
}

/**
 * fromFD: wrap a caller's raw `fd` once it is known to hold a `kind` object. On success the
 * object owns it; on any error the caller still does.
 */
export function wrapForeignFd<T>(fd: number, kind: sys.BpfObjectKind, wrap: (owned: sys.FD) => T): T {
  checkForeignFd(fd, kind);
  const owned = new sys.FD(fd, kind);
  try {
    return wrap(owned);
  } catch (err) {
    owned.disown();
    throw err;
  }
}

/** fromID: open the `kind` object with this ID (BPF_*_GET_FD_BY_ID). */
export function openByID<T>(id: number, kind: sys.BpfObjectKind, wrap: (owned: sys.FD) => T): T {
  const label = OBJECT_LABEL[kind];
  checkObjectId(id, label);
  const get = GET_FD_BY_ID[kind];
  if (get === undefined) throw new InvalidArgumentError('kind', `${label}s cannot be opened by ID`);
  return adopt(get(id), kind, `open ${label} ID ${id}`, wrap);
}

/** loadPinned: open the `kind` object pinned at `path`; `wrap` gets the path to record. */
export function openPinnedAs<T>(path: string, options: PinnedOptions, kind: sys.BpfObjectKind, wrap: (owned: sys.FD, path: string) => T): T {
  const label = OBJECT_LABEL[kind];
  return adopt(openPinned(path, options, `load pinned ${label}`), kind, `load pinned ${label} ${path}`, (owned) => wrap(owned, path));
}
