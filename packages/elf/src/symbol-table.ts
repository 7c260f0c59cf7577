import { isAscii } from 'node:buffer';
import type { FileOffset } from './address.js';
import type { FieldReader } from './header.js';
import { view } from './header.js';
import { hex, malformed } from './malformed.js';
import type { ElfSection } from './sections.js';
import type { ByteSource, DecodedBytes } from './source.js';
import type { SymbolVersion } from './versions.js';

export type SymbolTableKind = 'symtab' | 'dynsym';

/** What a symbol needs from its file to answer questions about itself. */
export interface SymbolContext {
  translate(value: bigint): FileOffset | undefined;
  sectionName(index: number): string | undefined;
  version(index: number): SymbolVersion | undefined;
}

/** What a symbol reads from its table: a whole SymbolTable, or one entry found by hash. */
export interface SymbolEntries {
  readonly kind: SymbolTableKind;
  readonly context: SymbolContext;
  name(i: number): string;
  value(i: number): bigint;
  size(i: number): bigint;
  info(i: number): number;
  other(i: number): number;
  sectionIndex(i: number): number;
}

/** `names` is empty unless every name is ASCII, so that its slices are the names. */
export interface BulkView {
  readonly dv: DataView;
  readonly entsize: number;
  readonly le: boolean;
  readonly names: string;
}

/**
 * The raw entries of `.symtab` or `.dynsym` plus their string table, decoded on demand. Names are
 * matched as bytes so that a single lookup decodes no string but the one it returns.
 */
export class SymbolTable implements SymbolEntries {
  /** Number of entries, including the reserved entry 0. */
  readonly count: number;
  readonly #dv: DataView;
  readonly #entsize: number;
  readonly #le: boolean;
  readonly #is64: boolean;
  /** The string table's bytes, unless it was read as text for a bulk walk. */
  readonly #strtab: Buffer | undefined;
  readonly #strLength: number;
  readonly #src: ByteSource;
  /**
   * The whole string table as one latin1 string (one char per byte): names become O(1) slices.
   * Names of a table that is not pure ASCII are re-decoded as UTF-8.
   */
  #names: string | undefined;
  #ascii = true;

  constructor(
    src: ByteSource,
    readonly kind: SymbolTableKind,
    readonly section: ElfSection,
    data: Buffer,
    strtab: Buffer | DecodedBytes,
    f: FieldReader,
    readonly context: SymbolContext,
  ) {
    const min = f.layout.symSize;
    const entsize = section.entrySize === 0n ? min : Number(section.entrySize);
    if (entsize < min || section.entrySize > 4096n) {
      throw malformed(src.name, `${kind} (section ${section.index}) entry size ${section.entrySize} is invalid (need >= ${min})`);
    }
    this.#src = src;
    this.#dv = view(data);
    this.#entsize = entsize;
    this.count = Math.floor(data.length / entsize);
    this.#le = f.littleEndian;
    this.#is64 = f.layout.is64;
    if (Buffer.isBuffer(strtab)) {
      this.#strtab = strtab;
      this.#strLength = strtab.length;
    } else {
      this.#names = strtab.text;
      this.#ascii = strtab.ascii;
      this.#strLength = strtab.text.length;
    }
  }

  nameOffset(i: number): number {
    return this.#dv.getUint32(i * this.#entsize, this.#le);
  }

  info(i: number): number {
    return this.#dv.getUint8(i * this.#entsize + (this.#is64 ? 4 : 12));
  }

  other(i: number): number {
    return this.#dv.getUint8(i * this.#entsize + (this.#is64 ? 5 : 13));
  }

  sectionIndex(i: number): number {
    return this.#dv.getUint16(i * this.#entsize + (this.#is64 ? 6 : 14), this.#le);
  }

  value(i: number): bigint {
    const b = i * this.#entsize;
    return this.#is64 ? this.#u64(b + 8) : BigInt(this.#dv.getUint32(b + 4, this.#le));
  }

  size(i: number): bigint {
    const b = i * this.#entsize;
    return this.#is64 ? this.#u64(b + 16) : BigInt(this.#dv.getUint32(b + 8, this.#le));
  }

  /** Two 32-bit reads beat getBigUint64 and most values fit in the low half. */
  #u64(b: number): bigint {
    const dv = this.#dv;
    const le = this.#le;
    const lo = dv.getUint32(le ? b : b + 4, le);
    const hi = dv.getUint32(le ? b + 4 : b, le);
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** The value as a float, exact below 2^53: for sorting, never for results. */
  approxValue(i: number): number {
    const b = i * this.#entsize;
    if (!this.#is64) return this.#dv.getUint32(b + 4, this.#le);
    const lo = this.#dv.getUint32(b + (this.#le ? 8 : 12), this.#le);
    const hi = this.#dv.getUint32(b + (this.#le ? 12 : 8), this.#le);
    return hi * 0x1_0000_0000 + lo;
  }

  approxSize(i: number): number {
    const b = i * this.#entsize;
    if (!this.#is64) return this.#dv.getUint32(b + 8, this.#le);
    const lo = this.#dv.getUint32(b + (this.#le ? 16 : 20), this.#le);
    const hi = this.#dv.getUint32(b + (this.#le ? 20 : 16), this.#le);
    return hi * 0x1_0000_0000 + lo;
  }

  /** Decodes the whole string table once, so that every later name is a cheap slice. */
  prepareBulk(): void {
    const tab = this.#strtab;
    if (this.#names !== undefined || tab === undefined) return;
    this.#names = tab.toString('latin1');
    this.#ascii = isAscii(tab);
  }

  /** What a cursor reads inline on a bulk walk: the entries and, for an ASCII table, its names. */
  bulkView(): BulkView {
    const ascii = this.#ascii && this.#names !== undefined;
    return { dv: this.#dv, entsize: this.#entsize, le: this.#le, names: ascii ? this.#names! : '' };
  }

  name(i: number): string {
    const off = this.nameOffset(i);
    if (off >= this.#strLength) {
      if (off === 0) return '';
      throw malformed(
        this.#src.name,
        `${this.kind} symbol ${i}: name index ${off} outside its string table (${this.#strLength} bytes, section ${this.section.link})`,
      );
    }
    const names = this.#names;
    const end = names !== undefined ? names.indexOf('\0', off) : this.#strtab!.indexOf(0, off);
    if (end < 0) throw malformed(this.#src.name, `${this.kind} symbol ${i}: name at string index ${off} is not NUL-terminated`);
    if (names === undefined) return this.#strtab!.toString('utf8', off, end);
    const name = names.slice(off, end);
    return this.#ascii ? name : Buffer.from(name, 'latin1').toString('utf8');
  }

  /**
   * Indices of the symbols whose name equals `name` (or, with `prefix`, starts with it), found by
   * searching the string table for the bytes and then the entries for those string offsets.
   */
  find(name: Buffer, prefix: boolean): number[] {
    const offsets: number[] = [];
    const tab = this.#strtab;
    if (tab !== undefined) {
      const pattern = prefix ? name : Buffer.concat([name, Buffer.from([0])]);
      for (let p = tab.indexOf(pattern); p >= 0; p = tab.indexOf(pattern, p + 1)) offsets.push(p);
    } else {
      // latin1 maps bytes to chars one to one, so this is the same byte search.
      const pattern = prefix ? name.toString('latin1') : `${name.toString('latin1')}\0`;
      const names = this.#names!;
      for (let p = names.indexOf(pattern); p >= 0; p = names.indexOf(pattern, p + 1)) offsets.push(p);
    }
    if (offsets.length === 0) return [];
    const out: number[] = [];
    const dv = this.#dv;
    const es = this.#entsize;
    const le = this.#le;
    const n = this.count;
    if (offsets.length === 1) {
      const want = offsets[0]!;
      for (let i = 1, b = es; i < n; i++, b += es) if (dv.getUint32(b, le) === want) out.push(i);
    } else {
      const set = new Set(offsets);
      for (let i = 1, b = es; i < n; i++, b += es) if (set.has(dv.getUint32(b, le))) out.push(i);
    }
    return out;
  }

  describe(i: number): string {
    return `${this.kind} symbol ${i} (section ${this.section.index} at ${hex(this.section.offset)})`;
  }
}
