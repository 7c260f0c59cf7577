import { inspect } from 'node:util';
import type { FileOffset, VirtualAddress } from './address.js';
import { SpecialSection, SymbolType } from './constants.js';
import type { SymbolEntries, SymbolTableKind } from './symbol-table.js';
import type { SymbolVersion } from './versions.js';

/** st_shndx values that mean "no section", so st_value is not an address in a segment. */
export function isPlaceable(shndx: number, type: number): boolean {
  return (
    shndx !== SpecialSection.Undefined &&
    (shndx < SpecialSection.LoReserve || shndx === SpecialSection.XIndex) &&
    type !== SymbolType.Tls
  );
}

/**
 * One symbol table entry. Fields are decoded from the table when read, so listing 185k symbols
 * allocates one small object each; `toJSON()` gives a plain snapshot.
 */
export class ElfSymbol {
  // Two fields only: 185k of these stay alive while a caller walks a symbol table.
  readonly #t: SymbolEntries;
  /** Index in its table. */
  readonly index: number;

  /** @internal Created by ElfFile. */
  constructor(table: SymbolEntries, index: number) {
    this.#t = table;
    this.index = index;
  }

  /** The name as stored; `.dynsym` names carry no `@VERSION` (see `version`). */
  get name(): string {
    // Not cached: a slice of the decoded table is cheap, and caching would keep 185k strings alive.
    return this.#t.name(this.index);
  }

  /** `st_value`: the symbol's virtual address (for ET_REL files: its offset in its section). */
  get value(): VirtualAddress {
    return this.#t.value(this.index) as VirtualAddress;
  }

  get size(): bigint {
    return this.#t.size(this.index);
  }

  /**
   * Where `value` lies in the file, through the PT_LOAD segment that maps it: what a uprobe
   * attaches to. Undefined for imports, absolute, TLS and common symbols, and for addresses no
   * segment maps.
   */
  get offset(): FileOffset | undefined {
    return isPlaceable(this.sectionIndex, this.type) ? this.#t.context.translate(this.#t.value(this.index)) : undefined;
  }

  /** `ELF_ST_TYPE` (see `SymbolType`). */
  get type(): number {
    return this.#t.info(this.index) & 0xf;
  }

  /** `ELF_ST_BIND` (see `SymbolBinding`). */
  get binding(): number {
    return this.#t.info(this.index) >> 4;
  }

  /** `ELF_ST_VISIBILITY`: 0 default, 1 internal, 2 hidden, 3 protected. */
  get visibility(): number {
    return this.#t.other(this.index) & 0x3;
  }

  /** `st_shndx`: 0 for an undefined (imported) symbol. */
  get sectionIndex(): number {
    return this.#t.sectionIndex(this.index);
  }

  /** The name of the section the symbol is defined in. */
  get section(): string | undefined {
    const s = this.sectionIndex;
    return s !== SpecialSection.Undefined && s < SpecialSection.LoReserve ? this.#t.context.sectionName(s) : undefined;
  }

  /** Defined here, as opposed to imported (`st_shndx == SHN_UNDEF`). */
  get defined(): boolean {
    return this.sectionIndex !== SpecialSection.Undefined;
  }

  get table(): SymbolTableKind {
    return this.#t.kind;
  }

  /** GNU symbol version (`.dynsym` only). */
  get version(): SymbolVersion | undefined {
    return this.#t.kind === 'dynsym' ? this.#t.context.version(this.index) : undefined;
  }

  toJSON(): {
    name: string;
    value: VirtualAddress;
    size: bigint;
    offset: FileOffset | undefined;
    type: number;
    binding: number;
    visibility: number;
    sectionIndex: number;
    section: string | undefined;
    table: SymbolTableKind;
    index: number;
    version: SymbolVersion | undefined;
  } {
    return {
      name: this.name,
      value: this.value,
      size: this.size,
      offset: this.offset,
      type: this.type,
      binding: this.binding,
      visibility: this.visibility,
      sectionIndex: this.sectionIndex,
      section: this.section,
      table: this.table,
      index: this.index,
      version: this.version,
    };
  }

  [inspect.custom](): object {
    return this.toJSON();
  }
}
