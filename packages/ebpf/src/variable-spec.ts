import { InvalidArgumentError } from '@bpfkit/errors';

/** Encode a number or bigint as `size` little-endian bytes (sizes 1, 2, 4, 8; negative values as two's complement). */
export function encodeScalar(value: number | bigint, size: number, what: string): Uint8Array {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
    throw new InvalidArgumentError(what, `is ${size} bytes: pass a Uint8Array (numbers encode 1, 2, 4 or 8 bytes)`);
  }
  const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : undefined;
  const bits = BigInt(size * 8);
  if (big === undefined || big < -(1n << (bits - 1n)) || big >= 1n << bits) throw new InvalidArgumentError(what, `${String(value)} does not fit in ${size} bytes`);
  const out = new Uint8Array(size);
  let u = BigInt.asUintN(size * 8, big);
  for (let i = 0; i < size; i++, u >>= 8n) out[i] = Number(u & 0xffn);
  return out;
}

/**
 * A global variable of a data section (`.data`, `.rodata`, `.bss`...): `set()` before loading
 * changes what the map starts with, so `const volatile` settings in `.rodata` become constants
 * the verifier folds.
 */
export class VariableSpec {
  readonly name: string;
  /** The data section (and map) holding it. */
  readonly mapName: string;
  readonly offset: number;
  readonly size: number;
  /** In `.rodata`: constant for the program once loaded. */
  readonly constant: boolean;
  readonly #contents: Uint8Array;

  /** @internal */
  constructor(name: string, mapName: string, offset: number, size: number, constant: boolean, contents: Uint8Array) {
    this.name = name;
    this.mapName = mapName;
    this.offset = offset;
    this.size = size;
    this.constant = constant;
    this.#contents = contents;
  }

  /** The bytes the map will start with. */
  get(): Uint8Array {
    return this.#contents.slice(this.offset, this.offset + this.size);
  }

  /** Replace the initial value: exactly `size` bytes, or a number/bigint for 1/2/4/8-byte variables. */
  set(value: Uint8Array | number | bigint): void {
    const bytes = value instanceof Uint8Array ? value : encodeScalar(value, this.size, `variable ${this.name}`);
    if (bytes.byteLength !== this.size) throw new InvalidArgumentError(`variable ${this.name}`, `is ${this.size} bytes, got ${bytes.byteLength}`);
    this.#contents.set(bytes, this.offset);
  }
}
