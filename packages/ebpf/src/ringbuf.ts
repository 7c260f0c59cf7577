import { InvalidArgumentError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { Map } from './map.js';
import { EventWaiter } from './event-waiter.js';
import { RecordReader } from './record-reader.js';
import { MapType } from './types.js';

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HEADER = 8;

/**
 * Reads a BPF_MAP_TYPE_RINGBUF map from user space (cilium's `ringbuf.Reader`): the ring is
 * mmap'd (consumer page read-write, producer page and data read-only, the data mapped twice so
 * a record that wraps is contiguous) and records come out in the order the programs committed
 * them. `for await (const record of reader)` waits for the kernel's wakeup on a thread-pool
 * thread, so the event loop is never blocked; `close()` ends the iteration.
 */
export class RingBuffer extends RecordReader<Uint8Array> {
  readonly #map: Map;
  readonly #consumer: sys.Mapping;
  readonly #producer: sys.Mapping;
  readonly #consumerPos: BigUint64Array;
  readonly #producerPos: BigUint64Array;
  readonly #lengths: Uint32Array;
  readonly #data: Uint8Array;
  readonly #mask: number;
  protected readonly waiter: EventWaiter;

  constructor(map: Map) {
    super();
    if (!(map instanceof Map) || map.fd < 0) throw new InvalidArgumentError('map', 'must be an open Map');
    if (map.type !== MapType.RingBuf) throw new InvalidArgumentError('map', `${map.name || 'the map'} is type ${map.type}, not a RingBuf`);
    const page = sys.pageSize();
    const size = map.maxEntries;
    this.#map = map.clone();
    try {
      this.#consumer = sys.mmap(this.#map.fd, page, sys.Prot.Read | sys.Prot.Write, 0);
      try {
        this.#producer = sys.mmap(this.#map.fd, page + 2 * size, sys.Prot.Read, page);
      } catch (err) {
        this.#consumer.unmap();
        throw err;
      }
      this.waiter = new EventWaiter([this.#map.fd]);
    } catch (err) {
      this.#map.close();
      throw err;
    }
    this.#consumerPos = new BigUint64Array(this.#consumer.bytes, 0, 1);
    this.#producerPos = new BigUint64Array(this.#producer.bytes, 0, 1);
    this.#lengths = new Uint32Array(this.#producer.bytes, page, (2 * size) / 4);
    this.#data = new Uint8Array(this.#producer.bytes, page, 2 * size);
    this.#mask = size - 1;
  }

  /** Bytes committed but not read yet (records, their headers and padding). */
  get pending(): number {
    if (!this.#consumer.mapped) return 0;
    return Number(Atomics.load(this.#producerPos, 0) - Atomics.load(this.#consumerPos, 0));
  }

  /** The records committed so far (at most `max`), in order, without waiting; discarded ones are skipped. */
  readAvailable(max = Infinity): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (!this.#consumer.mapped) return out;
    let cons = Atomics.load(this.#consumerPos, 0);
    const prod = Atomics.load(this.#producerPos, 0);
    let pos = Number(cons & BigInt(this.#mask));
    let left = Number(prod - cons);
    while (left > 0 && out.length < max) {
      const len = Atomics.load(this.#lengths, pos / 4);
      if (len & BUSY) break;
      const size = len & ~(BUSY | DISCARD);
      if (!(len & DISCARD)) out.push(this.#data.slice(pos + HEADER, pos + HEADER + size));
      const step = (size + HEADER + 7) & ~7;
      left -= step;
      pos = (pos + step) & this.#mask;
      cons += BigInt(step);
    }
    Atomics.store(this.#consumerPos, 0, cons);
    return out;
  }

  get closed(): boolean {
    return this.waiter.closed;
  }

  /** Unmap the ring and stop waiting (a pending read resolves undefined); idempotent. */
  close(): void {
    if (this.waiter.closed) return;
    this.discardQueued();
    this.#consumer.unmap();
    this.#producer.unmap();
    this.waiter.close();
    this.#map.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
