import { InvalidArgumentError } from '@bpfkit/errors';

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;

/** Little-endian field writer over a zeroed attr buffer; every write is range-checked. */
export class AttrWriter {
  readonly bytes: Uint8Array;
  readonly #view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }

  u32(offset: number, value: number | undefined, field: string): this {
    if (value === undefined) return this;
    if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
      throw new InvalidArgumentError(field, `${value} is not an unsigned 32-bit integer`);
    }
    this.#view.setUint32(offset, value, true);
    return this;
  }

  s32(offset: number, value: number | undefined, field: string): this {
    if (value === undefined) return this;
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
      throw new InvalidArgumentError(field, `${value} is not a signed 32-bit integer`);
    }
    this.#view.setInt32(offset, value, true);
    return this;
  }

  u64(offset: number, value: number | bigint | undefined, field: string): this {
    if (value === undefined) return this;
    const v = toU64(value, field);
    this.#view.setBigUint64(offset, v, true);
    return this;
  }

  /** A NUL-padded fixed-size string such as `prog_name[16]`; longer names are an error. */
  cstr(offset: number, length: number, value: string | undefined, field: string): this {
    if (value === undefined) return this;
    const enc = new TextEncoder().encode(value);
    if (enc.length >= length) {
      throw new InvalidArgumentError(field, `"${value}" is longer than ${length - 1} bytes`);
    }
    this.bytes.set(enc, offset);
    return this;
  }
}

export function toU64(value: number | bigint, field: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(field, `${value} is not an integer (pass a bigint for large values)`);
  }
  const v = BigInt(value);
  if (v < 0n || v > U64_MAX) throw new InvalidArgumentError(field, `${value} is not an unsigned 64-bit integer`);
  return v;
}

/** Little-endian field reader for info structs the kernel filled in. */
export class AttrReader {
  readonly #view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u32(offset: number): number {
    return this.#view.getUint32(offset, true);
  }
  s32(offset: number): number {
    return this.#view.getInt32(offset, true);
  }
  u64(offset: number): bigint {
    return this.#view.getBigUint64(offset, true);
  }
  /** A NUL-terminated string inside a fixed-size field. */
  cstr(offset: number, length: number): string {
    const field = this.bytes.subarray(offset, offset + length);
    const end = field.indexOf(0);
    return new TextDecoder().decode(end < 0 ? field : field.subarray(0, end));
  }
}

/** A NUL-terminated copy of `s` for pointer fields. */
export function cString(s: string): Uint8Array {
  const enc = new TextEncoder().encode(s);
  if (enc.includes(0)) throw new InvalidArgumentError('string', `${JSON.stringify(s)} contains a NUL byte`);
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  return out;
}
