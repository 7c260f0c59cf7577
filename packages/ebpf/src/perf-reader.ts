import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { EventWaiter } from './event-waiter.js';
import { Map, possibleCPUs } from './map.js';
import { RecordReader } from './record-reader.js';
import { MapType } from './types.js';

const PERF_COUNT_SW_BPF_OUTPUT = 10;
const RECORD_LOST = 2;
const RECORD_SAMPLE = 9;
/** struct perf_event_mmap_page: data_head and data_tail (u64s). */
const DATA_HEAD = 1024;
const ENODEV = 19;
const ENOENT = 2;

/** One record from a perf event array: a sample a program wrote, or a count of lost ones. */
export interface PerfRecord {
  cpu: number;
  /** What bpf_perf_event_output wrote (padded by the kernel to a multiple of 8 minus 4 bytes); empty for a lost record. */
  rawSample: Uint8Array;
  /** Samples the kernel dropped because this CPU's ring was full. */
  lostSamples: number;
}

export interface PerfReaderOptions {
  /** Bytes of ring per CPU, rounded up to a power-of-two number of pages (default 64 KiB). */
  perCPUBuffer?: number;
}

interface Ring {
  cpu: number;
  fd: sys.FD;
  mapping: sys.Mapping;
  /** data_head, data_tail */
  pos: BigUint64Array;
  data: Uint8Array;
}

/**
 * Reads a BPF_MAP_TYPE_PERF_EVENT_ARRAY (cilium's `perf.Reader`): one perf event
 * (PERF_COUNT_SW_BPF_OUTPUT) and one mmap'd ring per CPU, each stored in the map at its CPU's
 * index. Records arrive in order per CPU; lost samples are reported as records. Waiting happens
 * on the thread pool, so `for await` never blocks the event loop.
 */
export class PerfReader extends RecordReader<PerfRecord> {
  readonly #map: Map;
  readonly #rings: Ring[] = [];
  protected readonly waiter: EventWaiter;
  #closed = false;

  constructor(map: Map, options: PerfReaderOptions = {}) {
    super();
    if (!(map instanceof Map) || map.fd < 0) throw new InvalidArgumentError('map', 'must be an open Map');
    if (map.type !== MapType.PerfEventArray) throw new InvalidArgumentError('map', `${map.name || 'the map'} is type ${map.type}, not a PerfEventArray`);
    const page = sys.pageSize();
    const want = options.perCPUBuffer ?? 64 * 1024;
    if (!Number.isInteger(want) || want <= 0) throw new InvalidArgumentError('perCPUBuffer', `${want} is not a positive size`);
    let pages = 1;
    while (pages * page < want) pages *= 2;
    this.#map = map.clone();
    try {
      const cpus = Math.min(possibleCPUs(), map.maxEntries);
      for (let cpu = 0; cpu < cpus; cpu++) {
        const ring = openRing(cpu, page, pages);
        if (!ring) continue;
        this.#rings.push(ring);
        this.#map.update(cpu, new Uint8Array(new Int32Array([ring.fd.fd]).buffer));
      }
      this.waiter = new EventWaiter(this.#rings.map((r) => r.fd.fd));
    } catch (err) {
      this.#release();
      throw err;
    }
  }

  /** The records in the CPUs' rings now (at most `max`), without waiting: CPU by CPU, each in order. */
  readAvailable(max = Infinity): PerfRecord[] {
    const out: PerfRecord[] = [];
    if (this.#closed) return out;
    for (const ring of this.#rings) drain(ring, out, max);
    return out;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #release(): void {
    for (const ring of this.#rings) {
      ring.mapping.unmap();
      try {
        this.#map.delete(ring.cpu);
      } catch (err) {
        if (!(err instanceof SyscallError && err.errno === ENOENT)) throw err;
      }
      ring.fd.close();
    }
    this.#rings.length = 0;
    this.#map.close();
  }

  /** Unmap the rings, remove them from the map and stop waiting; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.discardQueued();
    this.#release();
    this.waiter.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function openRing(cpu: number, page: number, pages: number): Ring | undefined {
  let fd: sys.FD;
  try {
    fd = sys.perfEventOpen(
      { type: sys.PerfType.Software, size: sys.PerfEvent.AttrSizeVer1, config: PERF_COUNT_SW_BPF_OUTPUT, sampleType: sys.PerfEvent.SampleRaw, samplePeriod: 1, wakeupEvents: 1 },
      -1,
      cpu,
    );
  } catch (err) {
    // A possible CPU that is offline has no events.
    if (err instanceof SyscallError && err.errno === ENODEV) return undefined;
    throw err;
  }
  try {
    const mapping = sys.mmap(fd.fd, (pages + 1) * page, sys.Prot.Read | sys.Prot.Write);
    return { cpu, fd, mapping, pos: new BigUint64Array(mapping.bytes, DATA_HEAD, 2), data: new Uint8Array(mapping.bytes, page, pages * page) };
  } catch (err) {
    fd.close();
    throw err;
  }
}

/** Copy `len` bytes from ring offset `off`, wrapping at the end of the data area. */
function copy(data: Uint8Array, off: number, len: number): Uint8Array {
  if (off + len <= data.byteLength) return data.slice(off, off + len);
  const out = new Uint8Array(len);
  const first = data.byteLength - off;
  out.set(data.subarray(off), 0);
  out.set(data.subarray(0, len - first), first);
  return out;
}

function drain(ring: Ring, out: PerfRecord[], max: number): void {
  const head = Number(Atomics.load(ring.pos, 0));
  let tail = Number(ring.pos[1]);
  const size = ring.data.byteLength;
  while (tail < head && out.length < max) {
    const off = tail % size;
    // Headers are 8-byte aligned in a ring of whole pages, so they never wrap.
    const header = new DataView(ring.data.buffer, ring.data.byteOffset + off, 8);
    const type = header.getUint32(0, true);
    const len = header.getUint16(6, true);
    if (len < 8) break;
    const body = copy(ring.data, (off + 8) % size, len - 8);
    const view = new DataView(body.buffer);
    if (type === RECORD_SAMPLE) {
      const raw = view.getUint32(0, true);
      out.push({ cpu: ring.cpu, rawSample: body.slice(4, 4 + raw), lostSamples: 0 });
    } else if (type === RECORD_LOST) {
      out.push({ cpu: ring.cpu, rawSample: new Uint8Array(0), lostSamples: Number(view.getBigUint64(8, true)) });
    }
    tail += len;
  }
  Atomics.store(ring.pos, 1, BigInt(tail));
}
