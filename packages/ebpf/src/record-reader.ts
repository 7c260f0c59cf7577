import type { EventWaiter } from './event-waiter.js';

/** Records taken per drain before the reader lets the event loop run again. */
const BATCH = 512;

/**
 * What RingBuffer and PerfReader share: records drained in batches from mmap'd rings, handed
 * out one by one, and a wait on the kernel's wakeup (off the event loop) when none is left.
 */
export abstract class RecordReader<T> implements AsyncIterable<T> {
  #queue: T[] = [];
  #head = 0;
  #yieldFirst = false;

  /** The records available now (at most `max`), without waiting. */
  abstract readAvailable(max?: number): T[];

  /** @internal */
  protected abstract readonly waiter: EventWaiter;

  /** The next record, waiting for the kernel's wakeup if there is none; undefined once closed. */
  async read(): Promise<T | undefined> {
    for (;;) {
      if (this.#head < this.#queue.length) return this.#queue[this.#head++];
      if (this.#yieldFirst) {
        // A producer that never lets the ring empty must not keep this loop in microtasks forever.
        this.#yieldFirst = false;
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.#queue = this.readAvailable(BATCH);
      this.#head = 0;
      if (this.#queue.length > 0) {
        this.#yieldFirst = true;
        continue;
      }
      if (!(await this.waiter.wait())) return undefined;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (let r = await this.read(); r !== undefined; r = await this.read()) yield r;
  }

  /** Drop the records read but not handed out (on close). */
  protected discardQueued(): void {
    this.#queue = [];
    this.#head = 0;
  }
}
