import { closeSync } from 'node:fs';
import { closedError, InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import {
  type FileOffset,
  type FileOffsetInput,
  toBigInt,
  type VirtualAddress,
  type VirtualAddressInput,
} from './address.js';
import { buildAddressIndex, symbolsCovering, type AddressIndex } from './address-index.js';
import { type ElfClass, ElfType, type Endianness, SectionType, SegmentFlags, SegmentType } from './constants.js';
import { type DynamicInfo, dynamicStringTable, parseDynamic } from './dynamic.js';
import { type ElfHeader, parseHeader, safeNumber, view } from './header.js';
import { ImportedSymbolError } from './imported-symbol-error.js';
import { hex, malformed } from './malformed.js';
import { type ElfNote, parseNotes } from './notes.js';
import { type ElfSection, parseSections, readString, sectionBytes, sectionText } from './sections.js';
import { type ElfProgramHeader, loadSegmentFor, loadSegmentForOffset, parseProgramHeaders } from './segments.js';
import { BufferSource, type ByteSource, FileSource } from './source.js';
import { ElfSymbol } from './symbol.js';
import { type ForEachSymbolOptions, moveCursor, SymbolCursor } from './symbol-cursor.js';
import { StringTables } from './string-tables.js';
import { SymbolSearch } from './symbol-search.js';
import { type SymbolContext, type SymbolEntries, SymbolTable, type SymbolTableKind } from './symbol-table.js';
import { type UsdtProbe, parseUsdtNotes } from './usdt.js';
import { parseVersions, type SymbolVersion, type VersionDefinition } from './versions.js';

export interface SymbolAtResult {
  readonly symbol: ElfSymbol;
  /** How far into the symbol the address is. */
  readonly offset: bigint;
}

/** `.gnu_debuglink`: where the separate debug file is and its CRC-32. */
export interface DebugLink {
  readonly file: string;
  readonly crc32: number;
}

const registry = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed by the process: nothing to release
  }
});

/**
 * A read-only view of an ELF file. Opening reads only the ELF header; sections, segments and
 * symbol tables are read (with positioned reads) the first time something needs them.
 */
export class ElfFile implements Disposable {
  readonly class: ElfClass;
  readonly littleEndian: boolean;
  /** `e_type` (see `ElfType`). */
  readonly type: number;
  /** `e_machine` (see `ElfMachine`). */
  readonly machine: number;
  readonly osAbi: number;
  /** `e_entry`. */
  readonly entry: VirtualAddress;
  /** The path given to `open`, or the name given to `fromBuffer`. */
  readonly path: string;

  readonly #src: ByteSource;
  readonly #h: ElfHeader;
  #closed = false;
  #sections: ElfSection[] | undefined;
  #segments: ElfProgramHeader[] | undefined;
  #loads: ElfProgramHeader[] | undefined;
  #loadsOverlap = false;
  #lastLoad: ElfProgramHeader | undefined;
  readonly #tables = new Map<SymbolTableKind, SymbolTable | null>();
  readonly #strings: StringTables;
  #versym: DataView | undefined | null;
  #versions: Map<number, VersionDefinition> | undefined;
  #dynamic: DynamicInfo | undefined;
  readonly #ctx: SymbolContext = {
    translate: (value) => this.#translate(value),
    sectionName: (index) => this.#sections?.[index]?.name,
    version: (index) => this.#version(index),
  };
  readonly #search: SymbolSearch;
  #byAddress: AddressIndex | undefined;

  private constructor(src: ByteSource) {
    this.#src = src;
    try {
      this.#h = parseHeader(src);
    } catch (err) {
      src.close();
      throw err;
    }
    this.#strings = new StringTables(src, () => this.sections);
    this.#search = new SymbolSearch({
      src,
      fields: this.#h.fields,
      ctx: this.#ctx,
      sections: () => this.sections,
      table: (kind, bulk) => this.#table(kind, bulk),
      version: (index) => this.#version(index),
    });
    this.path = src.name;
    this.class = this.#h.class;
    this.littleEndian = this.#h.littleEndian;
    this.type = this.#h.type;
    this.machine = this.#h.machine;
    this.osAbi = this.#h.osAbi;
    this.entry = this.#h.entry;
  }

  /** Opens a file for positioned reads; only the ELF header is read now. */
  static open(path: string): ElfFile {
    const src = new FileSource(path);
    const elf = new ElfFile(src);
    registry.register(elf, src.fd, elf);
    return elf;
  }

  /** Parses ELF bytes already in memory (nothing is copied). */
  static fromBuffer(buf: Uint8Array, name = '<buffer>'): ElfFile {
    if (!(buf instanceof Uint8Array)) throw new InvalidArgumentError('buf', 'must be a Buffer or Uint8Array');
    return new ElfFile(new BufferSource(buf, name));
  }

  /** The open descriptor, or -1 once closed or for a buffer. */
  get fd(): number {
    return this.#src instanceof FileSource ? this.#src.fd : -1;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes read from the file so far: lookups read the tables they need, never the whole file. */
  get bytesRead(): number {
    return this.#src.bytesRead;
  }

  get endianness(): Endianness {
    return this.littleEndian ? 'little' : 'big';
  }

  /** Closes the descriptor. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    registry.unregister(this);
    this.#src.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #check(what: string): void {
    if (this.#closed) throw closedError('ELF file', { attempted: `${what} of ${this.path}` });
  }

  get sections(): readonly ElfSection[] {
    this.#check('read sections');
    this.#sections ??= parseSections(this.#src, this.#h);
    return this.#sections;
  }

  /** The first section with this name. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** A section's bytes (empty for SHT_NOBITS). */
  sectionData(section: ElfSection | string): Buffer {
    const s = typeof section === 'string' ? this.section(section) : section;
    if (!s) throw new InvalidArgumentError('section', `${this.path} has no section ${String(section)}`);
    this.#check('read section');
    return sectionBytes(this.#src, s, s.name || `section ${s.index}`);
  }

  get programHeaders(): readonly ElfProgramHeader[] {
    this.#check('read program headers');
    this.#segments ??= parseProgramHeaders(this.#src, this.#h, () => {
      const s0 = this.sections[0];
      if (!s0) throw malformed(this.path, 'e_phnum is PN_XNUM but there is no section 0 to hold the count');
      return s0.info;
    });
    return this.#segments;
  }

  /**
   * Translates a virtual address into a file offset through the PT_LOAD segment that maps it:
   * `address - p_vaddr + p_offset`. Right for non-PIE executables, PIE and shared libraries.
   */
  fileOffset(virtualAddress: VirtualAddressInput): FileOffset {
    const va = toBigInt(virtualAddress, 'virtualAddress');
    const off = this.#translate(va);
    if (off === undefined) {
      throw new InvalidArgumentError('virtualAddress', `${hex(va)} is not in any file-backed PT_LOAD segment of ${this.path}`);
    }
    return off;
  }

  /** The inverse of `fileOffset`: the virtual address a file offset is mapped at. */
  virtualAddress(fileOffset: FileOffsetInput): VirtualAddress {
    const off = toBigInt(fileOffset, 'fileOffset');
    const seg = loadSegmentForOffset(this.programHeaders, off);
    if (!seg) throw new InvalidArgumentError('fileOffset', `${hex(off)} is not in any PT_LOAD segment of ${this.path}`);
    return (off - seg.offset + seg.virtualAddress) as VirtualAddress;
  }

  #translate(va: bigint): FileOffset | undefined {
    if (this.#loads === undefined) {
      const loads = this.programHeaders.filter((p) => p.type === SegmentType.Load);
      for (const p of loads) {
        if (p.fileSize > 0n && p.offset + p.fileSize > BigInt(this.#src.size)) {
          throw malformed(this.path, `PT_LOAD segment ${p.index} (offset ${hex(p.offset)}, ${p.fileSize} bytes) extends past the end of the file`);
        }
      }
      this.#loadsOverlap = loads.some((a, i) =>
        loads.some((b, j) => j > i && a.virtualAddress < b.virtualAddress + b.fileSize && b.virtualAddress < a.virtualAddress + a.fileSize),
      );
      this.#loads = loads;
    }
    const last = this.#lastLoad;
    // Segments almost never overlap, so the segment of the previous symbol is usually the answer.
    if (last && !this.#loadsOverlap && va >= last.virtualAddress && va - last.virtualAddress < last.fileSize) {
      return (va - last.virtualAddress + last.offset) as FileOffset;
    }
    const seg = loadSegmentFor(this.#loads, va);
    if (!seg) return undefined;
    this.#lastLoad = seg;
    return (va - seg.virtualAddress + seg.offset) as FileOffset;
  }

  /**
   * `bulk`: every name will be read, so the string table is read straight into one string (through
   * a reused buffer) rather than kept as bytes for byte searches.
   */
  #table(kind: SymbolTableKind, bulk: boolean): SymbolTable | null {
    let t = this.#tables.get(kind);
    if (t !== undefined) {
      if (bulk) t?.prepareBulk();
      return t;
    }
    const type = kind === 'symtab' ? SectionType.SymTab : SectionType.DynSym;
    const sections = this.sections;
    const sec = sections.find((s) => s.type === type);
    t = null;
    if (sec) {
      const data = sectionBytes(this.#src, sec, kind);
      const cached = this.#strings.loaded(sec);
      const strtab = cached ?? (bulk ? sectionText(this.#src, this.#strings.linkedSection(sec, kind), `${kind} string table`) : this.#strings.linkedStrings(sec, kind));
      t = new SymbolTable(this.#src, kind, sec, data, strtab, this.#h.fields, this.#ctx);
      if (bulk) t.prepareBulk();
    }
    this.#tables.set(kind, t);
    return t;
  }

  #version(i: number): SymbolVersion | undefined {
    if (this.#versym === undefined) {
      const sections = this.sections;
      const vs = sections.find((s) => s.type === SectionType.GnuVersym);
      const aux = (type: number, what: string) => {
        const s = sections.find((x) => x.type === type);
        if (!s) return undefined;
        return { data: sectionBytes(this.#src, s, what), string: (off: number, w: string) => this.#strings.stringAt(s, off, w) };
      };
      // Assigned together, only once everything parsed: a failure must not leave half a state.
      const versym = vs ? view(sectionBytes(this.#src, vs, '.gnu.version')) : null;
      this.#versions = parseVersions(this.#src, this.#h.fields, aux(SectionType.GnuVerdef, '.gnu.version_d'), aux(SectionType.GnuVerneed, '.gnu.version_r'));
      this.#versym = versym;
    }
    const vs = this.#versym;
    if (!vs || 2 * i + 2 > vs.byteLength) return undefined;
    const raw = vs.getUint16(2 * i, this.littleEndian);
    const def = this.#versions!.get(raw & 0x7fff);
    if (!def) return undefined;
    return { name: def.name, hidden: (raw & 0x8000) !== 0, ...(def.library !== undefined && { library: def.library }) };
  }

  #symbol(t: SymbolEntries, i: number): ElfSymbol {
    return new ElfSymbol(t, i);
  }

  #all(kind: SymbolTableKind): ElfSymbol[] {
    this.#check(`read ${kind}`);
    const t = this.#table(kind, true);
    if (!t) return [];
    const out = new Array<ElfSymbol>(Math.max(0, t.count - 1));
    for (let i = 1; i < t.count; i++) out[i - 1] = this.#symbol(t, i);
    return out;
  }

  /** Every `.symtab` entry except the reserved entry 0 (empty when the file is stripped). */
  symbols(): ElfSymbol[] {
    return this.#all('symtab');
  }

  /** Every `.dynsym` entry except entry 0, with GNU versions. */
  dynamicSymbols(): ElfSymbol[] {
    return this.#all('dynsym');
  }

  /**
   * Visits every `.symtab` and/or `.dynsym` entry (as `symbols()` / `dynamicSymbols()` list them,
   * `.symtab` first for `'all'`) without allocating a symbol each: `visit` receives ONE reused
   * `SymbolCursor`, valid only during that call (keep one with `cursor.toSymbol()`). Returning
   * `false` from `visit` stops the walk.
   */
  forEachSymbol(visit: (symbol: SymbolCursor) => boolean | void, options: ForEachSymbolOptions = {}): void {
    if (typeof visit !== 'function') throw new InvalidArgumentError('visit', 'must be a function');
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    const choice = options.table ?? 'all';
    if (choice !== 'all' && choice !== 'symtab' && choice !== 'dynsym') {
      throw new InvalidArgumentError('options.table', `must be 'symtab', 'dynsym' or 'all', got ${String(choice)}`);
    }
    const kinds: readonly SymbolTableKind[] = choice === 'all' ? ['symtab', 'dynsym'] : [choice];
    const cursor = new SymbolCursor();
    try {
      for (const kind of kinds) {
        this.#check(`read ${kind}`);
        const t = this.#table(kind, true);
        if (!t) continue;
        for (let i = 1, n = t.count; i < n; i++) {
          moveCursor(cursor, t, i);
          if (visit(cursor) === false) return;
        }
      }
    } finally {
      moveCursor(cursor, undefined, 0);
    }
  }

  /** The DT_NEEDED libraries, DT_SONAME and run path of a dynamically linked file. */
  get dynamic(): DynamicInfo {
    this.#check('read .dynamic');
    if (this.#dynamic) return this.#dynamic;
    const sections = this.sections;
    const sec = sections.find((s) => s.type === SectionType.Dynamic);
    let info: DynamicInfo = { needed: [], runpath: [] };
    if (sec) {
      info = parseDynamic(this.#src, this.#h.fields, sectionBytes(this.#src, sec, '.dynamic'), this.#strings.linkedStrings(sec, '.dynamic'));
    } else {
      const seg = this.programHeaders.find((p) => p.type === SegmentType.Dynamic);
      if (seg) info = this.#dynamicFromSegment(seg);
    }
    this.#dynamic = info;
    return info;
  }

  /** Without section headers the string table is found through DT_STRTAB, a virtual address. */
  #dynamicFromSegment(seg: ElfProgramHeader): DynamicInfo {
    const f = this.#h.fields;
    const data = this.#src.read(safeNumber(this.#src, seg.offset, 'PT_DYNAMIC offset'), safeNumber(this.#src, seg.fileSize, 'PT_DYNAMIC size'), 'PT_DYNAMIC');
    const strtab = dynamicStringTable(f, data);
    if (!strtab) return { needed: [], runpath: [] };
    const off = this.#translate(strtab.address);
    if (off === undefined) throw malformed(this.path, `DT_STRTAB ${hex(strtab.address)} is not in any PT_LOAD segment`);
    const str = this.#src.read(safeNumber(this.#src, off, 'DT_STRTAB'), safeNumber(this.#src, strtab.size, 'DT_STRSZ'), 'dynamic string table');
    return parseDynamic(this.#src, f, data, str);
  }

  /**
   * Finds a symbol by name in `.dynsym`, then `.symtab`. `memcpy` matches any version (the default
   * one first), `memcpy@@GLIBC_2.14` only the default version GLIBC_2.14, `memcpy@GLIBC_2.2.5`
   * that version. Throws `SymbolNotFoundError`, or `ImportedSymbolError` when the file only imports it.
   */
  symbol(name: string): ElfSymbol {
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('name', 'symbol name must be a non-empty string');
    this.#check(`look up symbol ${name}`);
    const { found, imported } = this.#search.find(name);
    if (found) return this.#symbol(found.t, found.i);
    if (imported.length > 0) {
      const dyn = imported.find((r) => r.t.kind === 'dynsym');
      const library = dyn ? this.#version(dyn.i)?.library : undefined;
      throw new ImportedSymbolError(name, this.path, library, this.dynamic.needed);
    }
    throw new SymbolNotFoundError(name, { path: this.path });
  }

  #addressIndex(): AddressIndex {
    this.#byAddress ??= buildAddressIndex([this.#table('dynsym', false), this.#table('symtab', false)]);
    return this.#byAddress;
  }

  /**
   * The symbol that contains a virtual address, and how far into it the address is (cilium's
   * `Executable.Symbol`). The innermost sized symbol wins; among aliases, functions and global
   * bindings win. Throws `SymbolNotFoundError` when no symbol covers the address.
   */
  symbolAt(virtualAddress: VirtualAddressInput): SymbolAtResult {
    const va = toBigInt(virtualAddress, 'virtualAddress');
    this.#check(`look up address ${hex(va)}`);
    const best = this.#search.best(symbolsCovering(this.#addressIndex(), va));
    if (!best) throw new SymbolNotFoundError(hex(va), { path: this.path, detail: 'no symbol covers this address' });
    const symbol = this.#symbol(best.t, best.i);
    return { symbol, offset: va - symbol.value };
  }

  /** `symbolAt` for a file offset, e.g. one taken from a uprobe (cilium's addresses are file offsets). */
  symbolAtFileOffset(fileOffset: FileOffsetInput): SymbolAtResult {
    return this.symbolAt(this.virtualAddress(fileOffset));
  }

  /** All notes, from SHT_NOTE sections (or PT_NOTE segments when there are no section headers). */
  notes(): ElfNote[] {
    this.#check('read notes');
    const f = this.#h.fields;
    const noteSections = this.sections.filter((s) => s.type === SectionType.Note);
    if (this.sections.length > 0) {
      return noteSections.flatMap((s) => parseNotes(this.#src, f, sectionBytes(this.#src, s, s.name), Number(s.addressAlign), s.name));
    }
    return this.programHeaders
      .filter((p) => p.type === SegmentType.Note)
      .flatMap((p) =>
        parseNotes(
          this.#src,
          f,
          this.#src.read(safeNumber(this.#src, p.offset, 'PT_NOTE offset'), safeNumber(this.#src, p.fileSize, 'PT_NOTE size'), `PT_NOTE segment ${p.index}`),
          Number(p.align),
          `PT_NOTE segment ${p.index}`,
        ),
      );
  }

  /** NT_GNU_BUILD_ID as lower-case hex, or undefined. */
  get buildId(): string | undefined {
    this.#check('read build ID');
    const sec = this.section('.note.gnu.build-id');
    const notes = sec && sec.type === SectionType.Note
      ? parseNotes(this.#src, this.#h.fields, sectionBytes(this.#src, sec, sec.name), Number(sec.addressAlign), sec.name)
      : this.notes();
    return notes.find((n) => n.name === 'GNU' && n.type === 3)?.descriptor.toString('hex');
  }

  /** `.gnu_debuglink`, or undefined. */
  get debugLink(): DebugLink | undefined {
    this.#check('read .gnu_debuglink');
    const sec = this.section('.gnu_debuglink');
    if (!sec) return undefined;
    const data = sectionBytes(this.#src, sec, '.gnu_debuglink');
    const file = readString(this.#src, data, 0, '.gnu_debuglink file name');
    const crcAt = Math.ceil((Buffer.byteLength(file) + 1) / 4) * 4;
    if (crcAt + 4 > data.length) throw malformed(this.path, `.gnu_debuglink (section ${sec.index}) has no CRC after the file name`);
    return { file, crc32: view(data).getUint32(crcAt, this.littleEndian) };
  }

  /** USDT probes from `.note.stapsdt`, with addresses adjusted by `.stapsdt.base` and translated to file offsets. */
  usdtProbes(): UsdtProbe[] {
    this.#check('read USDT notes');
    const sec = this.section('.note.stapsdt');
    if (!sec) return [];
    if (sec.type !== SectionType.Note) throw malformed(this.path, `.note.stapsdt (section ${sec.index}) is not SHT_NOTE`);
    const notes = parseNotes(this.#src, this.#h.fields, sectionBytes(this.#src, sec, sec.name), Number(sec.addressAlign), sec.name);
    const base = this.section('.stapsdt.base');
    return parseUsdtNotes(this.#src, this.#h.fields, notes, base?.address, this.programHeaders);
  }

  /** Whether the file is executable code a uprobe can target (ET_EXEC or ET_DYN), as cilium requires. */
  get isExecutable(): boolean {
    return this.type === ElfType.Exec || this.type === ElfType.Dyn;
  }

  /** Loadable executable segments (for callers that need the mapping, e.g. /proc/<pid>/maps math). */
  get executableSegments(): readonly ElfProgramHeader[] {
    return this.programHeaders.filter((p) => p.type === SegmentType.Load && (p.flags & SegmentFlags.Execute) !== 0);
  }
}
