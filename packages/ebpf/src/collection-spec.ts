import { readFileSync } from 'node:fs';
import { Spec } from '@bpfkit/btf';
import { ElfFile, ElfMachine, ElfType, SectionFlags, SectionType, SymbolType, type ElfSection, type ElfSymbol } from '@bpfkit/elf';
import { BpfError, fromNodeError, InvalidArgumentError } from '@bpfkit/errors';
import { parseBtfExt, type BtfExt } from './btf-ext.js';
import { fixupObjectBTF } from './btf-fixup.js';
import { sectionKind } from './elf-sections.js';
import { linkProgram, type ObjectFunction, type Reference, type Relocation } from './linker.js';
import { mapSpecsFromBTF, type MapSpec } from './map-spec.js';
import { VariableSpec } from './variable-spec.js';

export type { MapSpec } from './map-spec.js';
export type { Reference } from './linker.js';
export { VariableSpec } from './variable-spec.js';

/** One line of `.BTF.ext` line info, instruction-indexed within its program. */
export interface LineInfo {
  insnOffset: number;
  fileNameOff: number;
  lineOff: number;
  lineCol: number;
}

/** A CO-RE relocation of a program's instruction, against the object's BTF. */
export interface CoreRelocation {
  insnOffset: number;
  typeId: number;
  accessStrOff: number;
  kind: number;
}

/** A program as the object describes it: linked with its subprograms, maps not yet created. */
export interface ProgramSpec {
  /** The function name (the key in `CollectionSpec.programs`). */
  readonly name: string;
  /** The ELF section it was in, e.g. `tracepoint/syscalls/sys_enter_getpid`. */
  readonly sectionName: string;
  readonly type: number;
  readonly attachType: number;
  /** What the section name says to attach to (`do_sys_openat2`, `syscalls/sys_enter_getpid`, ...), or ''. */
  readonly attachTo: string;
  /** prog_flags the section implies (sleepable, XDP frags). */
  readonly flags: number;
  readonly license: string;
  /** Bytecode: the program, then each subprogram it calls; map references still unresolved. */
  readonly instructions: Uint8Array;
  readonly references: readonly Reference[];
  readonly funcInfo: readonly { insnOffset: number; typeId: number }[];
  readonly lineInfo: readonly LineInfo[];
  readonly coreRelocations: readonly CoreRelocation[];
}

/** What `loadCollectionSpec` read from a clang-compiled BPF object. */
export interface CollectionSpec {
  /** Where it came from (a path, or `<buffer>`), for messages. */
  readonly source: string;
  readonly programs: Record<string, ProgramSpec>;
  readonly maps: Record<string, MapSpec>;
  /** Global variables of `.data`, `.rodata`, `.bss` (and `.data.*`...): set them before loading. */
  readonly variables: Record<string, VariableSpec>;
  /** The object's BTF (DATASEC sizes and VAR offsets fixed up), if it has any. */
  readonly types: Spec | undefined;
  readonly license: string;
}

const DATA_SECTION = /^\.(data|rodata|bss)(\..+)?$/;
const R_BPF_64_64 = 1;
const MAX_DATA_SECTION = 1 << 30;
const R_BPF_64_32 = 10;

function bad(source: string, detail: string): InvalidArgumentError {
  return new InvalidArgumentError('object', `${source}: ${detail}`);
}

/**
 * Read a BPF object compiled by clang (`clang -O2 -g -target bpf -c prog.bpf.c`): its programs
 * (typed by section name), BTF-defined maps, global data and the BTF that describes them.
 * Nothing is loaded into the kernel; `loadCollection` does that.
 */
export function loadCollectionSpec(input: string | Uint8Array): CollectionSpec {
  let bytes: Uint8Array;
  let source: string;
  if (typeof input === 'string') {
    source = input;
    try {
      bytes = readFileSync(input);
    } catch (err) {
      throw fromNodeError(err, 'open', { context: `read BPF object ${input}` });
    }
  } else if (input instanceof Uint8Array) {
    source = '<buffer>';
    bytes = input;
  } else {
    throw new InvalidArgumentError('input', 'must be a path or the bytes of a BPF object');
  }
  let elf: ElfFile;
  try {
    elf = ElfFile.fromBuffer(bytes, source);
  } catch (err) {
    if (err instanceof BpfError) throw new InvalidArgumentError('object', `${source} is not a BPF object: ${err.message}`, { cause: err });
    throw err;
  }
  if (elf.machine !== ElfMachine.Bpf || elf.type !== ElfType.Rel || elf.class !== 64 || !elf.littleEndian) {
    throw bad(source, `not a little-endian 64-bit BPF relocatable object (e_machine ${elf.machine}, e_type ${elf.type}); compile with clang -target bpf -c`);
  }
  return readObject(elf, source);
}

function text(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}

function readObject(elf: ElfFile, source: string): CollectionSpec {
  const sections = elf.sections;
  const symbols = elf.symbols();
  const licenseSec = elf.section('license');
  const license = licenseSec ? text(elf.sectionData(licenseSec)) : '';

  const btfSec = elf.section('.BTF');
  const extSec = elf.section('.BTF.ext');
  const dataSections = sections.filter((s) => DATA_SECTION.test(s.name) && (s.type === SectionType.ProgBits || s.type === SectionType.NoBits));
  if (elf.section('maps')) throw bad(source, 'legacy "maps" section (struct bpf_map_def) is not supported; declare maps in SEC(".maps") with __uint/__type');

  // Offsets of variables and maps by name, from the symbol table: the object's BTF leaves them 0.
  const symbolOffsets = new Map<string, number>();
  for (const sym of symbols) if (sym.type === SymbolType.Object && sym.defined) symbolOffsets.set(sym.name, Number(sym.value));
  let types: Spec | undefined;
  let ext: BtfExt | undefined;
  if (btfSec) {
    const sizes = new Map(sections.map((s) => [s.name, Number(s.size)]));
    types = Spec.parse(fixupObjectBTF(new Uint8Array(elf.sectionData(btfSec)), sizes, symbolOffsets), { name: `${source} .BTF` });
    if (extSec) {
      const t = types;
      ext = parseBtfExt(elf.sectionData(extSec), (off) => t.string(off));
    }
  }

  const mapsSec = elf.section('.maps');
  const maps: Record<string, MapSpec> = {};
  if (mapsSec) {
    if (!types) throw bad(source, 'has a .maps section but no .BTF to describe it; compile with -g');
    for (const m of mapSpecsFromBTF(types, source)) maps[m.name] = m;
  }

  const variables: Record<string, VariableSpec> = {};
  for (const sec of dataSections) {
    const size = Number(sec.size);
    if (size === 0) continue;
    // The value of a one-element array map; the kernel caps values far below this.
    if (size > MAX_DATA_SECTION) throw bad(source, `${sec.name} is ${size} bytes, larger than a map value can be`);
    const contents = sec.type === SectionType.NoBits ? new Uint8Array(size) : new Uint8Array(elf.sectionData(sec));
    const readOnly = sec.name.startsWith('.rodata');
    maps[sec.name] = {
      name: sec.name,
      type: 2 /* Array */,
      keySize: 4,
      valueSize: size,
      maxEntries: 1,
      flags: readOnly ? 0x80 /* BPF_F_RDONLY_PROG */ : 0,
      pinning: 0,
      contents,
      freeze: readOnly,
    };
    for (const sym of symbols) {
      if (sym.sectionIndex !== sec.index || sym.type !== SymbolType.Object || sym.name === '') continue;
      const offset = Number(sym.value);
      const vsize = Number(sym.size);
      if (offset + vsize > size) throw bad(source, `variable ${sym.name} (${offset}+${vsize}) lies outside ${sec.name}`);
      variables[sym.name] = new VariableSpec(sym.name, sec.name, offset, vsize, readOnly, contents);
    }
  }

  const functions = readFunctions(elf, sections, symbols, source, ext, types);
  const programs: Record<string, ProgramSpec> = {};
  for (const fn of functions.values()) {
    if (fn.section.name === '.text') continue;
    const kind = sectionKind(fn.section.name);
    const linked = linkProgram(fn, functions, source);
    programs[fn.name] = {
      name: fn.name,
      sectionName: fn.section.name,
      type: kind.programType,
      attachType: kind.attachType,
      attachTo: kind.target,
      flags: kind.flags,
      license,
      ...linked,
    };
  }
  for (const p of Object.values(programs)) {
    for (const ref of p.references) {
      if ((ref.kind === 'map' || ref.kind === 'data') && !maps[ref.map]) {
        throw bad(source, `program ${p.name} refers to ${ref.kind === 'map' ? 'map' : 'data section'} ${ref.map}, which the object does not define`);
      }
    }
  }
  return { source, programs, maps, variables, types, license };
}

/** Every FUNC in an executable section, with its instructions, references and BTF.ext records. */
function readFunctions(
  elf: ElfFile,
  sections: readonly ElfSection[],
  symbols: ElfSymbol[],
  source: string,
  ext: BtfExt | undefined,
  types: Spec | undefined,
): globalThis.Map<string, ObjectFunction> {
  const out = new globalThis.Map<string, ObjectFunction>();
  for (const sec of sections) {
    if (sec.type !== SectionType.ProgBits || (sec.flags & BigInt(SectionFlags.ExecInstr)) === 0n || sec.size === 0n) continue;
    if (sec.name !== '.text') sectionKind(sec.name);
    const data = new Uint8Array(elf.sectionData(sec));
    if (data.byteLength % 8 !== 0) throw bad(source, `section ${sec.name} is ${data.byteLength} bytes, not whole instructions`);
    const relocs = readRelocations(elf, sections, sec, symbols, source);
    const funcs = symbols
      .filter((s) => s.sectionIndex === sec.index && s.type === SymbolType.Func)
      .sort((a, b) => Number(a.value) - Number(b.value));
    if (funcs.length === 0) throw bad(source, `section ${sec.name} holds code but no function symbol`);
    for (const sym of funcs) {
      const offset = Number(sym.value);
      const size = Number(sym.size) || data.byteLength - offset;
      if (offset % 8 !== 0 || offset + size > data.byteLength) throw bad(source, `function ${sym.name} lies outside section ${sec.name}`);
      if (out.has(sym.name)) throw bad(source, `function ${sym.name} is defined twice`);
      const inRange = <T extends { insnOffset: number }>(recs: T[] | undefined): T[] =>
        (recs ?? []).filter((r) => r.insnOffset >= offset && r.insnOffset < offset + size).map((r) => ({ ...r, insnOffset: (r.insnOffset - offset) / 8 }));
      out.set(sym.name, {
        name: sym.name,
        section: sec,
        offset,
        insns: data.slice(offset, offset + size),
        relocations: relocs,
        funcInfo: inRange(ext?.funcInfo.get(sec.name)),
        lineInfo: inRange(ext?.lineInfo.get(sec.name)),
        coreRelos: inRange(ext?.coreRelos.get(sec.name)),
        types,
      });
    }
  }
  return out;
}

function readRelocations(
  elf: ElfFile,
  sections: readonly ElfSection[],
  target: ElfSection,
  symbols: ElfSymbol[],
  source: string,
): globalThis.Map<number, Relocation> {
  const out = new globalThis.Map<number, Relocation>();
  for (const rel of sections) {
    if (rel.type !== SectionType.Rel || rel.info !== target.index) continue;
    const data = elf.sectionData(rel);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let at = 0; at + 16 <= data.byteLength; at += 16) {
      const offset = Number(view.getBigUint64(at, true));
      const info = view.getBigUint64(at + 8, true);
      const symIndex = Number(info >> 32n);
      const type = Number(info & 0xffffffffn);
      const symbol = symbols[symIndex - 1];
      if (!symbol) throw bad(source, `relocation in ${target.name} at ${offset} names symbol ${symIndex}, past the symbol table`);
      if (type !== R_BPF_64_64 && type !== R_BPF_64_32) {
        throw bad(source, `relocation type ${type} against ${symbol.name} in ${target.name} is not supported`);
      }
      out.set(offset, { type, symbol, section: symbol.defined ? sections[symbol.sectionIndex] : undefined });
    }
  }
  return out;
}
