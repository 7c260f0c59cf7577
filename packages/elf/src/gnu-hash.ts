import type { FieldReader } from './header.js';
import { safeNumber, view } from './header.js';
import { hex, malformed } from './malformed.js';
import type { ElfSection } from './sections.js';
import type { ByteSource } from './source.js';
import type { SymbolContext, SymbolEntries, SymbolTableKind } from './symbol-table.js';

/** The GNU hash of a symbol name (dl_new_hash). */
export function gnuHash(name: Buffer): number {
  let h = 5381;
  for (const b of name) h = (h * 33 + b) >>> 0;
  return h;
}

/** One `.dynsym` entry read on its own, so a hashed lookup never loads the whole table. */
export class SingleSymbol implements SymbolEntries {
  readonly kind: SymbolTableKind = 'dynsym';
  readonly #dv: DataView;
  readonly #f: FieldReader;

  constructor(
    readonly index: number,
    entry: Buffer,
    readonly symbolName: string,
    f: FieldReader,
    readonly context: SymbolContext,
  ) {
    this.#dv = view(entry);
    this.#f = f;
  }

  name(): string {
    return this.symbolName;
  }

  info(): number {
    return this.#dv.getUint8(this.#f.layout.is64 ? 4 : 12);
  }

  other(): number {
    return this.#dv.getUint8(this.#f.layout.is64 ? 5 : 13);
  }

  sectionIndex(): number {
    return this.#f.u16(this.#dv, this.#f.layout.is64 ? 6 : 14);
  }

  value(): bigint {
    return this.#f.layout.is64 ? this.#f.u64(this.#dv, 8) : BigInt(this.#f.u32(this.#dv, 4));
  }

  size(): bigint {
    return this.#f.layout.is64 ? this.#f.u64(this.#dv, 16) : BigInt(this.#f.u32(this.#dv, 8));
  }
}

const CHAIN_BLOCK = 64;

/**
 * Looks a name up through `.gnu.hash` with a handful of small positioned reads: the bucket, the
 * chain, and the entries and names whose hash matches. Finds defined `.dynsym` symbols only
 * (imports are not hashed). Every offset is checked against its section; the chain walk is
 * bounded by the symbol count.
 */
export function gnuHashLookup(
  src: ByteSource,
  f: FieldReader,
  hash: ElfSection,
  dynsym: ElfSection,
  dynstr: ElfSection,
  name: Buffer,
  context: SymbolContext,
): SingleSymbol[] {
  const what = `.gnu.hash (section ${hash.index} at ${hex(hash.offset)})`;
  const hOff = safeNumber(src, hash.offset, '.gnu.hash offset');
  const hSize = safeNumber(src, hash.size, '.gnu.hash size');
  const read = (rel: number, len: number, part: string) => {
    if (rel + len > hSize) throw malformed(src.name, `${what}: ${part} at ${hex(rel)} extends past the section (${hSize} bytes)`);
    return view(src.read(hOff + rel, len, `${what} ${part}`));
  };
  const head = read(0, 16, 'header');
  const nbuckets = f.u32(head, 0);
  const symoffset = f.u32(head, 4);
  const bloomSize = f.u32(head, 8);
  if (nbuckets === 0) return [];
  const entsize = dynsym.entrySize === 0n ? f.layout.symSize : safeNumber(src, dynsym.entrySize, '.dynsym entry size');
  if (entsize < f.layout.symSize) throw malformed(src.name, `.dynsym entry size ${entsize} is invalid`);
  const symOff = safeNumber(src, dynsym.offset, '.dynsym offset');
  const count = Math.floor(safeNumber(src, dynsym.size, '.dynsym size') / entsize);
  const strOff = safeNumber(src, dynstr.offset, '.dynstr offset');
  const strSize = safeNumber(src, dynstr.size, '.dynstr size');

  const h = gnuHash(name);
  const bucketsAt = 16 + bloomSize * (f.layout.is64 ? 8 : 4);
  const first = f.u32(read(bucketsAt + (h % nbuckets) * 4, 4, 'bucket'), 0);
  if (first === 0) return [];
  if (first < symoffset || first >= count) {
    throw malformed(src.name, `${what}: bucket points at symbol ${first}, outside ${symoffset}..${count - 1}`);
  }
  const chainsAt = bucketsAt + nbuckets * 4;
  const out: SingleSymbol[] = [];
  const label = name.toString('utf8');
  for (let i = first; i < count; ) {
    const n = Math.min(CHAIN_BLOCK, count - i);
    const chain = read(chainsAt + (i - symoffset) * 4, n * 4, 'chain');
    for (let k = 0; k < n; k++, i++) {
      const h2 = f.u32(chain, k * 4);
      if ((h2 | 1) === (h | 1)) {
        const entry = src.read(symOff + i * entsize, entsize, `.dynsym entry ${i}`);
        const stName = f.u32(view(entry), 0);
        if (stName + name.length + 1 <= strSize) {
          const bytes = src.read(strOff + stName, name.length + 1, `.dynstr name of symbol ${i}`);
          if (bytes[name.length] === 0 && bytes.subarray(0, name.length).equals(name)) {
            out.push(new SingleSymbol(i, Buffer.from(entry), label, f, context));
          }
        }
      }
      if (h2 & 1) return out;
    }
  }
  return out;
}
