import { read, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fromNodeError, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { createLink, RawLink } from './link.js';
import { mapFd, typedProgramFd, type MapRef, type ProgramRef } from './program-ref.js';

export interface IterOptions {
  /** A Tracing program loaded with AttachType.TraceIter and `attachTo` the iterator (e.g. 'bpf_map', 'task'). */
  program: ProgramRef;
  /** The map to walk, for bpf_map_elem and sockmap iterators. */
  map?: MapRef;
}

const CHUNK = 64 * 1024;

/**
 * One run of an iterator: reading runs the program, and the output ends when the program has
 * seen every object. Owns its fd; close it, or read to the end with readAll() or stream().
 */
export class IterReader {
  readonly #fd: sys.FD;

  /** @internal */
  constructor(fd: sys.FD) {
    this.#fd = fd;
  }

  get fd(): number {
    return this.#fd.fd;
  }

  #open(what: string): number {
    if (this.#fd.closed) throw new InvalidArgumentError('iterator', `cannot ${what}: iterator closed`);
    return this.#fd.fd;
  }

  /** Runs the iterator to its end on this thread; closes the reader. */
  readAll(): Buffer {
    const fd = this.#open('read');
    const chunks: Buffer[] = [];
    try {
      for (;;) {
        const buf = Buffer.allocUnsafe(CHUNK);
        let n: number;
        try {
          n = readSync(fd, buf, 0, CHUNK, null);
        } catch (err) {
          throw fromNodeError(err, 'read(bpf_iter)', { context: 'read iterator' });
        }
        if (n === 0) return Buffer.concat(chunks);
        chunks.push(buf.subarray(0, n));
      }
    } finally {
      this.close();
    }
  }

  /** The output as a Readable; reads run on the thread pool. The reader closes when the stream ends or is destroyed. */
  stream(): Readable {
    const fd = this.#open('stream');
    const stream: Readable = new Readable({
      read: (size) => {
        const buf = Buffer.allocUnsafe(Math.max(size, CHUNK));
        read(fd, buf, 0, buf.length, null, (err, n) => {
          if (err) stream.destroy(fromNodeError(err, 'read(bpf_iter)', { context: 'read iterator' }) as Error);
          else stream.push(n === 0 ? null : buf.subarray(0, n));
        });
      },
      destroy: (err, done) => {
        this.close();
        done(err);
      },
    });
    return stream;
  }

  close(): void {
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** An iterator link: each open() starts a new run of the program over the iterator's objects. */
export class Iter extends RawLink {
  protected override get label(): string {
    return 'iterator link';
  }

  /** BPF_ITER_CREATE: a reader whose reads run the program. */
  open(): IterReader {
    const fd = this.openFd('open iterator');
    try {
      return new IterReader(sys.iterCreate(fd));
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext("can't create iterator") : err;
    }
  }
}

/** Attach an iterator program (BPF_LINK_CREATE with BPF_TRACE_ITER). */
export function attachIter(opts: IterOptions): Iter {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach iterator: must be an object');
  const what = 'attach iterator';
  const progFd = typedProgramFd(opts.program, what, { Tracing: sys.ProgType.Tracing });
  const info = new Uint8Array(4);
  if (opts.map !== undefined) new DataView(info.buffer).setUint32(0, mapFd(opts.map, what), true);
  sys.haveBPFLink();
  return new Iter(createLink({ kind: 'iter', progFd, attachType: sys.AttachType.TraceIter, iterInfo: info }, what));
}
