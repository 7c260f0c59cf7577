import { closedError, Errno, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { closeRaw, closeRawAsync, fcntl } from './libc.js';

const F_DUPFD_CLOEXEC = 1030;

/** Called with the raw fd of every FD the garbage collector closed (a leak in tests). */
let leakObserver: ((fd: number, label: string) => void) | undefined;

const finalizer = new FinalizationRegistry<{ fd: number; label: string }>((held) => {
  try {
    closeRaw(held.fd);
  } catch {
    // Nothing to report to: the owner is gone.
  }
  leakObserver?.(held.fd, held.label);
});

/** Observe FDs closed by the finalizer instead of by `close()` (tests use this to find leaks). */
export function onFinalizedFD(observer: ((fd: number, label: string) => void) | undefined): void {
  leakObserver = observer;
}

/** Duplicate `fd` to the lowest free descriptor >= 1, close-on-exec. */
export function dupFd(fd: number): number {
  return fcntl(fd, F_DUPFD_CLOEXEC, 1);
}

/**
 * Owns one file descriptor. fd 0 is moved to >= 1 because the BPF ABI reads 0 as "no fd" in
 * many fields. A dropped FD is closed by a finalizer, as cilium/ebpf's sys.FD is.
 */
export class FD {
  #fd: number;
  readonly #token = {};

  constructor(raw: number, readonly label = 'fd') {
    if (!Number.isInteger(raw) || raw < 0) throw new InvalidArgumentError('fd', `${raw} is not a valid file descriptor`);
    if (raw === 0) {
      const moved = dupFd(0);
      closeRaw(0);
      raw = moved;
    }
    this.#fd = raw;
    finalizer.register(this, { fd: raw, label }, this.#token);
  }

  /** The raw descriptor; -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the descriptor; calling it again does nothing. */
  close(): void {
    const fd = this.disownIfOpen();
    if (fd >= 0) closeRaw(fd);
  }

  /**
   * Closes the descriptor on a thread-pool thread (see closeRawAsync). The FD reads as closed at
   * once; calling it again, or close(), does nothing.
   */
  closeAsync(): Promise<void> {
    const fd = this.disownIfOpen();
    return fd >= 0 ? closeRawAsync(fd) : Promise.resolve();
  }

  /** A new FD owning a duplicate of this descriptor. */
  dup(): FD {
    if (this.#fd < 0) throw new SyscallError('fcntl(F_DUPFD_CLOEXEC)', Errno.EBADF, { hint: `${this.label} is closed` });
    return new FD(dupFd(this.#fd), this.label);
  }

  /** Gives up ownership without closing; returns the raw descriptor. */
  disown(): number {
    if (this.#fd < 0) throw new SyscallError('disown', Errno.EBADF, { hint: `${this.label} is closed` });
    return this.disownIfOpen();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `${this.label}(${this.#fd})`;
  }

  private disownIfOpen(): number {
    const fd = this.#fd;
    if (fd < 0) return -1;
    this.#fd = -1;
    finalizer.unregister(this.#token);
    return fd;
  }
}

/** close(2) of a descriptor nobody else owns. */
export function close(fd: number): void {
  closeRaw(fd);
}

/**
 * A descriptor argument: a raw fd, or anything that owns one (an FD, @bpfkit/ebpf's Program and
 * BpfMap, a link).
 */
export type FdLike = number | { readonly fd: number };

/** `T` whose fd fields `K` also take an owner (`{ fd }`). */
export type WithOwners<T, K extends keyof T> = { [P in keyof T]: P extends K ? Exclude<T[P], number> | FdLike : T[P] };

/**
 * The raw fd of a descriptor argument. A closed owner (fd -1) fails with the one
 * used-after-close error, naming it, instead of reaching an attr encoder as -1.
 */
export function fdOf(value: FdLike, argument: string): number {
  if (typeof value !== 'object' || value === null) return value;
  const fd = value.fd;
  if (typeof fd === 'number' && Number.isInteger(fd) && fd >= 0) return fd;
  const label = (value as { label?: unknown }).label;
  throw closedError(typeof label === 'string' ? label : 'object', { argument });
}

/** A copy of `options` with the owners in fields `keys` replaced by their raw fds. */
export function resolveOwners<T extends object, K extends keyof T>(options: WithOwners<T, K>, keys: readonly K[]): T {
  const out = { ...options } as Record<keyof T, unknown>;
  for (const key of keys) {
    const v = out[key];
    if (v !== undefined) out[key] = fdOf(v as FdLike, String(key));
  }
  return out as T;
}
