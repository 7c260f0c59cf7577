import type { Spec } from '@bpfkit/btf';
import type { ElfSection, ElfSymbol } from '@bpfkit/elf';
import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import type { CoreRelocationRecord, FuncInfoRecord, LineInfoRecord } from './btf-ext.js';

const LD_IMM64 = 0x18;
const CALL = 0x85;
const PSEUDO_CALL = 1;
const PSEUDO_FUNC = 4;
const EXEC = 4n; // SHF_EXECINSTR
const DATA_SECTION = /^\.(data|rodata|bss)(\..+)?$/;

/** A map an instruction of a linked program needs: the map's fd, or the address of its value. */
export type Reference =
  | { kind: 'map'; insn: number; map: string }
  | { kind: 'data'; insn: number; map: string; offset: number };

/** One relocation of an instruction: the symbol it names and the section that symbol lives in. */
export interface Relocation {
  type: number;
  symbol: ElfSymbol;
  section: ElfSection | undefined;
}

/** A function of the object (a program or a subprogram), its records instruction-indexed. */
export interface ObjectFunction {
  name: string;
  section: ElfSection;
  /** Byte offset in its section. */
  offset: number;
  insns: Uint8Array;
  /** The section's relocations, by byte offset in the section. */
  relocations: Map<number, Relocation>;
  funcInfo: FuncInfoRecord[];
  lineInfo: LineInfoRecord[];
  coreRelos: CoreRelocationRecord[];
  types: Spec | undefined;
}

export interface LinkedProgram {
  instructions: Uint8Array;
  references: Reference[];
  funcInfo: { insnOffset: number; typeId: number }[];
  lineInfo: LineInfoRecord[];
  coreRelocations: CoreRelocationRecord[];
}

interface Edge {
  insn: number;
  callee: ObjectFunction;
  pseudoFunc: boolean;
}

/**
 * Link a program with every function it calls, directly or not, in any section (libbpf's
 * bpf_object__reloc_code): the program first, then each callee once; calls and function
 * addresses become pc-relative, map and global-data loads become references.
 */
export function linkProgram(entry: ObjectFunction, functions: Map<string, ObjectFunction>, source: string): LinkedProgram {
  const at = new Map<string, ObjectFunction>();
  for (const fn of functions.values()) at.set(`${fn.section.index}:${fn.offset}`, fn);
  const find = (section: ElfSection, offset: number, caller: ObjectFunction): ObjectFunction => {
    const fn = at.get(`${section.index}:${offset}`);
    if (!fn) throw new InvalidArgumentError('object', `${source}: ${caller.name} calls offset ${offset} of ${section.name}, where no function starts`);
    return fn;
  };

  const order: ObjectFunction[] = [entry];
  const base = new Map<ObjectFunction, number>([[entry, 0]]);
  const refs: Reference[] = [];
  const edges: Edge[] = [];
  let total = entry.insns.byteLength / 8;
  for (let f = 0; f < order.length; f++) {
    const fn = order[f]!;
    const start = base.get(fn)!;
    const view = new DataView(fn.insns.buffer, fn.insns.byteOffset, fn.insns.byteLength);
    const count = fn.insns.byteLength / 8;
    const callee = (target: ObjectFunction): ObjectFunction => {
      if (!base.has(target)) {
        base.set(target, total);
        total += target.insns.byteLength / 8;
        order.push(target);
      }
      return target;
    };
    for (let i = 0; i < count; i++) {
      const code = view.getUint8(i * 8);
      const src = view.getUint8(i * 8 + 1) >> 4;
      const imm = view.getInt32(i * 8 + 4, true);
      const reloc = fn.relocations.get(fn.offset + i * 8);
      if (reloc) {
        const { symbol, section } = reloc;
        if (!section) {
          throw new SymbolNotFoundError(symbol.name, {
            path: source,
            detail: `${fn.name} refers to it, but the object does not define it (externs such as __ksym and __kconfig are not supported)`,
          });
        }
        const value = Number(symbol.value);
        if (code === LD_IMM64) {
          if (section.name === '.maps') refs.push({ kind: 'map', insn: start + i, map: symbol.name });
          else if (DATA_SECTION.test(section.name)) refs.push({ kind: 'data', insn: start + i, map: section.name, offset: value + imm });
          else if ((section.flags & EXEC) !== 0n) edges.push({ insn: start + i, callee: callee(find(section, value + imm, fn)), pseudoFunc: true });
          else throw new InvalidArgumentError('object', `${source}: ${fn.name} loads the address of ${symbol.name} in ${section.name}, which is neither a map nor global data`);
        } else if (code === CALL && src === PSEUDO_CALL) {
          edges.push({ insn: start + i, callee: callee(find(section, value + (imm + 1) * 8, fn)), pseudoFunc: false });
        } else {
          throw new InvalidArgumentError('object', `${source}: relocation against ${symbol.name} at instruction ${i} of ${fn.name} is on an instruction that takes none (opcode 0x${code.toString(16)})`);
        }
      } else if (code === CALL && src === PSEUDO_CALL) {
        edges.push({ insn: start + i, callee: callee(find(fn.section, fn.offset + (i + imm + 1) * 8, fn)), pseudoFunc: false });
      }
      if (code === LD_IMM64) i++;
    }
  }

  const instructions = new Uint8Array(total * 8);
  const funcInfo: { insnOffset: number; typeId: number }[] = [];
  const lineInfo: LineInfoRecord[] = [];
  const coreRelocations: CoreRelocationRecord[] = [];
  for (const fn of order) {
    const start = base.get(fn)!;
    instructions.set(fn.insns, start * 8);
    for (const r of fn.funcInfo) funcInfo.push({ insnOffset: r.insnOffset + start, typeId: r.typeId });
    for (const r of fn.lineInfo) lineInfo.push({ ...r, insnOffset: r.insnOffset + start });
    for (const r of fn.coreRelos) coreRelocations.push({ ...r, insnOffset: r.insnOffset + start });
  }
  const view = new DataView(instructions.buffer);
  for (const e of edges) {
    view.setInt32(e.insn * 8 + 4, base.get(e.callee)! - (e.insn + 1), true);
    if (e.pseudoFunc) view.setUint8(e.insn * 8 + 1, (PSEUDO_FUNC << 4) | (view.getUint8(e.insn * 8 + 1) & 0xf));
  }
  return { instructions, references: refs, funcInfo, lineInfo, coreRelocations };
}
