import { BpfError } from '@bpfkit/errors';
import type { VirtualAddress } from './address.js';
import { SpecialSection } from './constants.js';
import { ElfSymbol } from './symbol.js';
import type { SymbolTable, SymbolTableKind } from './symbol-table.js';

/** Which tables `forEachSymbol` walks: `'all'` is `.symtab` then `.dynsym`. */
export type SymbolTableChoice = SymbolTableKind | 'all';

export interface ForEachSymbolOptions {
  /** Default `'all'`. */
  table?: SymbolTableChoice;
}

/** Points a cursor at entry `i` of `t`, or (undefined) nowhere; not part of the public surface. */
export let moveCursor: (c: SymbolCursor, t: SymbolTable | undefined, i: number) => void;

/**
 * The symbol `forEachSymbol` is visiting. ONE cursor is reused for every symbol of a walk and
 * only valid during the callback that received it; reading it afterwards throws `BpfError`.
 * Keep a symbol with `toSymbol()`. Fields are decoded from the table when read.
 */
export class SymbolCursor {
  #t: SymbolTable | undefined;
  #i = 0;
  // The current table's bulk view, unpacked: names are read inline, anything unusual by the table.
  #dv: DataView | undefined;
  #entsize = 0;
  #le = true;
  #names = '';

  /** @internal Created by ElfFile.forEachSymbol. */
  constructor() {}

  static {
    moveCursor = (c, t, i) => {
      if (t !== c.#t && t !== undefined) {
        const v = t.bulkView();
        c.#dv = v.dv;
        c.#entsize = v.entsize;
        c.#le = v.le;
        c.#names = v.names;
      }
      c.#t = t;
      c.#i = i;
    };
  }

  #table(): SymbolTable {
    const t = this.#t;
    if (t === undefined) throw new BpfError('read a SymbolCursor outside its forEachSymbol callback: copy it with toSymbol()');
    return t;
  }

  /** Index in its table. */
  get index(): number {
    this.#table();
    return this.#i;
  }

  get table(): SymbolTableKind {
    return this.#table().kind;
  }

  /** The name as stored (decoded when read; `.dynsym` names carry no `@VERSION`). */
  get name(): string {
    const t = this.#table();
    const names = this.#names;
    const off = this.#dv!.getUint32(this.#i * this.#entsize, this.#le);
    if (off < names.length) {
      const end = names.indexOf('\0', off);
      if (end >= 0) return names.slice(off, end);
    }
    // Non-ASCII tables, out-of-range or unterminated names: decoded (or refused) by the table.
    return t.name(this.#i);
  }

  /**
   * `st_value` as a number: exact below 2^53 (`Number.MAX_SAFE_INTEGER`), the nearest double
   * above it (kernel addresses); `valueBig` is always exact.
   */
  get value(): number {
    return this.#table().approxValue(this.#i);
  }

  /** `st_value` as `ElfSymbol.value` gives it. */
  get valueBig(): VirtualAddress {
    return this.#table().value(this.#i) as VirtualAddress;
  }

  /** `st_size` as a number: exact below 2^53, like `value`; `sizeBig` is always exact. */
  get size(): number {
    return this.#table().approxSize(this.#i);
  }

  get sizeBig(): bigint {
    return this.#table().size(this.#i);
  }

  /** `ELF_ST_TYPE` (see `SymbolType`). */
  get type(): number {
    return this.#table().info(this.#i) & 0xf;
  }

  /** `ELF_ST_BIND` (see `SymbolBinding`). */
  get binding(): number {
    return this.#table().info(this.#i) >> 4;
  }

  /** `ELF_ST_VISIBILITY`. */
  get visibility(): number {
    return this.#table().other(this.#i) & 0x3;
  }

  /** `st_shndx`: 0 for an undefined (imported) symbol. */
  get sectionIndex(): number {
    return this.#table().sectionIndex(this.#i);
  }

  get defined(): boolean {
    return this.sectionIndex !== SpecialSection.Undefined;
  }

  /** A lasting `ElfSymbol` for the current entry (offset, section name, version and all). */
  toSymbol(): ElfSymbol {
    return new ElfSymbol(this.#table(), this.#i);
  }
}
