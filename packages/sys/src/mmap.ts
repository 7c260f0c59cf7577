/**
 * mmap(2)/munmap(2) of BPF ring buffers and perf rings, through koffi (bound lazily like libc.ts).
 * A mapping's bytes are an ArrayBuffer over the kernel's pages: touching it after `unmap()`
 * would fault, so the owner must drop every view when it unmaps.
 */
import koffi from 'koffi';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';

export const Prot = { Read: 1, Write: 2 } as const;
const MAP_SHARED = 1;
const MAP_FAILED = 0xffffffffffffffffn;

interface MmapLibc {
  mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: number) => unknown;
  munmap: (addr: unknown, len: number) => number;
  sysconf: (name: number) => number;
}

let bound: MmapLibc | undefined;

function lib(): MmapLibc {
  if (!bound) {
    const l = koffi.load('libc.so.6');
    bound = {
      mmap: l.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)'),
      munmap: l.func('int munmap(void *addr, size_t len)'),
      sysconf: l.func('long sysconf(int name)'),
    } as MmapLibc;
  }
  return bound;
}

const SC_PAGESIZE = 30;
let pageSizeCache: number | undefined;

/** The system page size. */
export function pageSize(): number {
  pageSizeCache ??= lib().sysconf(SC_PAGESIZE);
  return pageSizeCache;
}

/** One shared mapping of an fd. `bytes` is valid until `unmap()`. */
export class Mapping {
  readonly length: number;
  #ptr: unknown;
  #bytes: ArrayBuffer | undefined;

  /** @internal */
  constructor(ptr: unknown, length: number) {
    this.#ptr = ptr;
    this.length = length;
    this.#bytes = koffi.view(ptr as never, length);
  }

  /** The mapped memory; throws once unmapped. */
  get bytes(): ArrayBuffer {
    if (!this.#bytes) throw new InvalidArgumentError('mapping', 'is unmapped');
    return this.#bytes;
  }

  get mapped(): boolean {
    return this.#bytes !== undefined;
  }

  /** munmap(2); idempotent. */
  unmap(): void {
    if (!this.#bytes) return;
    this.#bytes = undefined;
    lib().munmap(this.#ptr, this.length);
    this.#ptr = null;
  }
}

/** mmap(2) `length` bytes of `fd` at `offset` (a multiple of the page size), MAP_SHARED. */
export function mmap(fd: number, length: number, prot: number, offset = 0): Mapping {
  if (!Number.isInteger(length) || length <= 0) throw new InvalidArgumentError('length', `${length} is not a positive size`);
  if (!Number.isInteger(offset) || offset < 0 || offset % pageSize() !== 0) throw new InvalidArgumentError('offset', `${offset} is not a multiple of the page size`);
  const ptr = lib().mmap(null, length, prot, MAP_SHARED, fd, offset);
  if (ptr === null || BigInt(koffi.address(ptr as never)) === MAP_FAILED) throw new SyscallError('mmap', koffi.errno());
  return new Mapping(ptr, length);
}
