import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BpfError, closedError, fromNodeError, InvalidArgumentError } from '@bpfkit/errors';
import { hex, malformed } from './malformed.js';

/**
 * Where the bytes of an ELF file come from. Every read is bounds-checked against the size seen
 * at open time, so a hostile offset can never read outside the file or allocate more than it.
 */
export interface ByteSource {
  /** A name for messages: the path, or `<buffer>`. */
  readonly name: string;
  readonly size: number;
  /** Bytes handed out so far (diagnostics; proves lookups stay lazy). */
  readonly bytesRead: number;
  /** `length` bytes at `offset`; `what` names the structure for the error message. */
  read(offset: number, length: number, what: string): Buffer;
  /**
   * `length` bytes at `offset` as a latin1 string (one char per byte), and whether they are all
   * ASCII. The bytes themselves are not kept: a file source reads them into a reused buffer.
   */
  readText(offset: number, length: number, what: string): DecodedBytes;
  close(): void;
}

export interface DecodedBytes {
  readonly text: string;
  readonly ascii: boolean;
}

function decode(bytes: Buffer): DecodedBytes {
  return { text: bytes.toString('latin1'), ascii: isAscii(bytes) };
}

/**
 * One buffer reused by every text read: fresh memory for a 7 MB string table costs page faults
 * and external-memory GC pressure on each open. Weakly held, so an idle process can release it.
 */
let scratch: WeakRef<Buffer> | undefined;

function scratchBuffer(length: number): Buffer {
  let buf = scratch?.deref();
  if (buf === undefined || buf.length < length) {
    buf = Buffer.allocUnsafeSlow(Math.max(length, 64 * 1024));
    scratch = new WeakRef(buf);
  }
  return buf;
}

function checkRange(source: ByteSource, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw malformed(source.name, `${what}: bad range offset ${offset} length ${length}`);
  }
  if (offset + length > source.size) {
    throw malformed(
      source.name,
      `${what} at offset ${hex(offset)} (${length} bytes) extends past the end of the file (${source.size} bytes)`,
    );
  }
}

/** Converts a Node fs error into the SyscallError the rest of bpfkit throws. */
export function fsError(err: unknown, syscall: string, context: string): Error {
  const converted = fromNodeError(err, syscall, { context });
  return converted instanceof Error ? converted : new BpfError(`${context}: ${String(err)}`);
}

export class BufferSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  bytesRead = 0;
  readonly #buf: Buffer;

  constructor(buf: Uint8Array, name = '<buffer>') {
    this.#buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.size = this.#buf.length;
    this.name = name;
  }

  read(offset: number, length: number, what: string): Buffer {
    checkRange(this, offset, length, what);
    this.bytesRead += length;
    return this.#buf.subarray(offset, offset + length);
  }

  readText(offset: number, length: number, what: string): DecodedBytes {
    return decode(this.read(offset, length, what));
  }

  close(): void {}
}

/** Positioned reads (pread) on an open descriptor: only the ranges asked for ever leave the disk cache. */
export class FileSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  bytesRead = 0;
  #fd: number;

  constructor(path: string) {
    if (typeof path !== 'string' || path === '') {
      throw new InvalidArgumentError('path', 'must be a non-empty string');
    }
    this.name = path;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw fsError(err, 'open', `open ELF file ${path}`);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw new InvalidArgumentError('path', `${path} is a directory, not an ELF file`);
      if (!st.isFile()) throw new InvalidArgumentError('path', `${path} is not a regular file`);
      this.size = st.size;
    } catch (err) {
      closeSync(fd);
      throw err instanceof BpfError ? err : fsError(err, 'fstat', `stat ELF file ${path}`);
    }
    this.#fd = fd;
  }

  get fd(): number {
    return this.#fd;
  }

  read(offset: number, length: number, what: string): Buffer {
    return this.#readInto(Buffer.allocUnsafe(length), offset, length, what);
  }

  readText(offset: number, length: number, what: string): DecodedBytes {
    return decode(this.#readInto(scratchBuffer(length), offset, length, what).subarray(0, length));
  }

  /** Fills the start of `buf` with `length` bytes at `offset` (one pread unless it comes up short). */
  #readInto(buf: Buffer, offset: number, length: number, what: string): Buffer {
    if (this.#fd < 0) throw closedError('ELF file', { attempted: `read ${what} from ${this.name}` });
    checkRange(this, offset, length, what);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.#fd, buf, done, length - done, offset + done);
      } catch (err) {
        throw fsError(err, 'pread', `read ${what} from ${this.name}`);
      }
      if (n === 0) {
        throw new BpfError(
          `read ${what} from ${this.name}: the file shrank while open (end of file at ${hex(offset + done)}, ` +
            `${this.size} bytes when opened)`,
        );
      }
      done += n;
    }
    this.bytesRead += length;
    return buf;
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    closeSync(fd);
  }
}
