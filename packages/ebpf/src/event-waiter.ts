import * as sys from '@bpfkit/sys';

/** The `data` of the eventfd that close() signals. */
const WAKE = 0xffffffff;

/**
 * Waits for any of a set of fds (ring buffer maps, perf events) to become readable, on the
 * thread pool through @bpfkit/sys's epollWait, so the event loop never blocks. `close()` wakes a
 * pending wait through an eventfd; the epoll fd and eventfd close once that wait has returned.
 */
export class EventWaiter {
  readonly #epoll: sys.FD;
  readonly #wake: sys.FD;
  readonly #max: number;
  #pending: Promise<boolean> | undefined;
  #closed = false;

  constructor(fds: readonly number[]) {
    this.#epoll = sys.epollCreate();
    try {
      this.#wake = sys.eventfd();
      try {
        sys.epollAdd(this.#epoll.fd, this.#wake.fd, sys.EpollEvents.In, WAKE);
        fds.forEach((fd, i) => sys.epollAdd(this.#epoll.fd, fd, sys.EpollEvents.In, i));
      } catch (err) {
        this.#wake.close();
        throw err;
      }
    } catch (err) {
      this.#epoll.close();
      throw err;
    }
    this.#max = fds.length + 1;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves true when something is readable (or a spurious wakeup happened: callers re-check),
   * false once closed. Concurrent callers share one wait.
   */
  wait(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    const settle = (): boolean => {
      this.#pending = undefined;
      if (!this.#closed) return true;
      this.#release();
      return false;
    };
    return (this.#pending ??= sys.epollWait(this.#epoll.fd, this.#max, -1).then(settle, (err: unknown) => {
      if (!settle()) return false;
      throw err;
    }));
  }

  #released = false;

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#wake.close();
    this.#epoll.close();
  }

  /** Stop: wake a pending wait, then close the descriptors; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending) sys.eventfdSignal(this.#wake.fd);
    else this.#release();
  }
}
