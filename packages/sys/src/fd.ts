import { Errno, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { closeRaw, fcntl } from './libc.js';

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
