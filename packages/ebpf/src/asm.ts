import { closedError, InvalidArgumentError } from '@bpfkit/errors';
import { Helper } from './helper.js';

/** eBPF registers; r10 is the read-only frame pointer. */
export type Register = 'r0' | 'r1' | 'r2' | 'r3' | 'r4' | 'r5' | 'r6' | 'r7' | 'r8' | 'r9' | 'r10';

/** Memory access width in bytes. */
export type Size = 1 | 2 | 4 | 8;

/** Anything with a map fd: a Map, or a plain `{ fd }`. Read when the program is encoded. */
export interface FdSource {
  readonly fd: number;
}

/** One machine instruction (two slots for the 64-bit immediate loads). */
export interface Instruction {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
  /** Upper 32 bits of a `ldImm64`-family instruction; its presence makes this a 16-byte instruction. */
  readonly imm2?: number;
  /** A label whose position becomes the jump offset (or the call offset for local calls). */
  readonly target?: string;
  /** A map whose fd becomes `imm` at encode time. */
  readonly map?: FdSource;
}

/** Marks the position of the next instruction as a jump target. */
export interface Label {
  readonly label: string;
}

export type AsmItem = Instruction | Label;

// Instruction classes, sources, and modes (include/uapi/linux/bpf_common.h, bpf.h).
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, JMP = 0x05, JMP32 = 0x06, ALU = 0x04, ALU64 = 0x07;
const K = 0x00, X = 0x08;
const IMM = 0x00, MEM = 0x60, ATOMIC = 0xc0;
const SIZE: Record<Size, number> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };
const PSEUDO_MAP_FD = 1, PSEUDO_MAP_VALUE = 2, PSEUDO_CALL = 1;
const BPF_ADD = 0x00, BPF_FETCH = 0x01;

const ALU_OPS = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70,
  mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0,
} as const;
const JMP_OPS = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70,
  jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
} as const;

function reg(r: Register, what: string): number {
  const n = typeof r === 'string' && /^r(10|[0-9])$/.test(r) ? Number(r.slice(1)) : NaN;
  if (Number.isNaN(n)) throw new InvalidArgumentError(what, `${String(r)} is not a register (r0..r10)`);
  return n;
}

function imm32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    throw new InvalidArgumentError(what, `${v} does not fit in a 32-bit immediate`);
  }
  return v | 0;
}

function off16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) throw new InvalidArgumentError(what, `${v} does not fit in a 16-bit offset`);
  return v;
}

function size(s: Size): number {
  const code = SIZE[s];
  if (code === undefined) throw new InvalidArgumentError('size', `${String(s)} is not 1, 2, 4 or 8 bytes`);
  return code;
}

const isReg = (v: Register | number): v is Register => typeof v === 'string';

function alu(cls: number, op: number, dst: Register, src: Register | number): Instruction {
  return isReg(src)
    ? { code: cls | op | X, dst: reg(dst, 'dst'), src: reg(src, 'src'), off: 0, imm: 0 }
    : { code: cls | op | K, dst: reg(dst, 'dst'), src: 0, off: 0, imm: imm32(src, 'imm') };
}

function jump(cls: number, op: number, dst: Register, src: Register | number, target: string): Instruction {
  return { ...alu(cls, op, dst, src), target: label(target) };
}

function label(name: string): string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('label', 'must be a non-empty string');
  return name;
}

type AluFn = (dst: Register, src: Register | number) => Instruction;
type JmpFn = (dst: Register, src: Register | number, target: string) => Instruction;

const aluFns = <S extends string>(suffix: S, cls: number) =>
  Object.fromEntries(Object.entries(ALU_OPS).map(([name, op]) => [`${name}${suffix}`, (d: Register, s: Register | number) => alu(cls, op, d, s)])) as {
    [N in keyof typeof ALU_OPS as `${N}${S}`]: AluFn;
  };

const jmpFns = <S extends string>(suffix: S, cls: number) =>
  Object.fromEntries(Object.entries(JMP_OPS).map(([name, op]) => [`${name}${suffix}`, (d: Register, s: Register | number, t: string) => jump(cls, op, d, s, t)])) as {
    [N in keyof typeof JMP_OPS as `${N}${S}`]: JmpFn;
  };

/**
 * A small eBPF assembler. ALU ops come as `add64(dst, srcRegOrImm)` / `add32(...)`; jumps as
 * `jeq(dst, srcRegOrImm, 'label')` (64-bit compare) / `jeq32(...)`; `label('name')` marks a
 * jump target; `encode()` resolves labels and map fds and returns the bytecode.
 */
export const asm = {
  ...aluFns('64', ALU64),
  ...aluFns('32', ALU),
  ...jmpFns('', JMP),
  ...jmpFns('32', JMP32),

  neg64: (dst: Register): Instruction => ({ code: ALU64 | 0x80, dst: reg(dst, 'dst'), src: 0, off: 0, imm: 0 }),
  neg32: (dst: Register): Instruction => ({ code: ALU | 0x80, dst: reg(dst, 'dst'), src: 0, off: 0, imm: 0 }),

  /** Byte swap to big-endian (`be16/32/64`); a no-op on little-endian data for `toLE`. */
  toBE: (dst: Register, bits: 16 | 32 | 64): Instruction => endian(X, dst, bits),
  toLE: (dst: Register, bits: 16 | 32 | 64): Instruction => endian(K, dst, bits),

  /** dst = *(size *)(src + off) */
  loadMem: (dst: Register, src: Register, off: number, sz: Size): Instruction => ({
    code: LDX | MEM | size(sz), dst: reg(dst, 'dst'), src: reg(src, 'src'), off: off16(off, 'off'), imm: 0,
  }),
  /** *(size *)(dst + off) = src */
  storeMem: (dst: Register, off: number, src: Register, sz: Size): Instruction => ({
    code: STX | MEM | size(sz), dst: reg(dst, 'dst'), src: reg(src, 'src'), off: off16(off, 'off'), imm: 0,
  }),
  /** *(size *)(dst + off) = imm (sign-extended for 8-byte stores) */
  storeImm: (dst: Register, off: number, imm: number, sz: Size): Instruction => ({
    code: ST | MEM | size(sz), dst: reg(dst, 'dst'), src: 0, off: off16(off, 'off'), imm: imm32(imm, 'imm'),
  }),
  /** lock *(size *)(dst + off) += src; with `fetch`, src receives the old value. Sizes 4 and 8. */
  atomicAdd: (dst: Register, off: number, src: Register, sz: 4 | 8, options: { fetch?: boolean } = {}): Instruction => {
    if (sz !== 4 && sz !== 8) throw new InvalidArgumentError('size', `atomic add works on 4 or 8 bytes, not ${String(sz)}`);
    return {
      code: STX | ATOMIC | size(sz), dst: reg(dst, 'dst'), src: reg(src, 'src'), off: off16(off, 'off'),
      imm: BPF_ADD | (options.fetch ? BPF_FETCH : 0),
    };
  },

  /** dst = a 64-bit constant (two instruction slots). */
  ldImm64: (dst: Register, value: number | bigint): Instruction => {
    const v = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : NaN;
    if (typeof v !== 'bigint' || v < -(1n << 63n) || v >= 1n << 64n) throw new InvalidArgumentError('value', `${value} is not a 64-bit integer`);
    const u = BigInt.asUintN(64, v);
    return { code: LD | IMM | 0x18, dst: reg(dst, 'dst'), src: 0, off: 0, imm: Number(u & 0xffffffffn) | 0, imm2: Number(u >> 32n) | 0 };
  },
  /** dst = pointer to `map` (BPF_PSEUDO_MAP_FD; the fd is read at encode time). */
  ldMapFd: (dst: Register, map: FdSource): Instruction => ({ code: LD | IMM | 0x18, dst: reg(dst, 'dst'), src: PSEUDO_MAP_FD, off: 0, imm: 0, imm2: 0, map }),
  /** dst = pointer to byte `offset` of the value of a single-element array map (BPF_PSEUDO_MAP_VALUE). */
  ldMapValue: (dst: Register, map: FdSource, offset = 0): Instruction => ({
    code: LD | IMM | 0x18, dst: reg(dst, 'dst'), src: PSEUDO_MAP_VALUE, off: 0, imm: 0, imm2: imm32(offset, 'offset'), map,
  }),

  /** Unconditional jump to a label. */
  ja: (target: string): Instruction => ({ code: JMP | 0x00, dst: 0, src: 0, off: 0, imm: 0, target: label(target) }),
  /** Call a helper by ID (`Helper.MapLookupElem`) or name (`'MapLookupElem'`). */
  call: (helper: Helper | keyof typeof Helper): Instruction => {
    const id = typeof helper === 'string' ? Helper[helper] : helper;
    if (!Number.isInteger(id) || id < 0) throw new InvalidArgumentError('helper', `${String(helper)} is not a BPF helper`);
    return { code: JMP | 0x80, dst: 0, src: 0, off: 0, imm: id };
  },
  /** Call a BPF-to-BPF function that starts at a label. */
  callLocal: (target: string): Instruction => ({ code: JMP | 0x80, dst: 0, src: PSEUDO_CALL, off: 0, imm: 0, target: label(target) }),
  exit: (): Instruction => ({ code: JMP | 0x90, dst: 0, src: 0, off: 0, imm: 0 }),

  label: (name: string): Label => ({ label: label(name) }),

  /** An instruction given field by field, for anything the helpers above do not cover. */
  raw: (i: { code: number; dst?: number; src?: number; off?: number; imm?: number }): Instruction => ({
    code: i.code & 0xff, dst: (i.dst ?? 0) & 0xf, src: (i.src ?? 0) & 0xf, off: off16(i.off ?? 0, 'off'), imm: imm32(i.imm ?? 0, 'imm'),
  }),

  encode,
};

function endian(source: number, dst: Register, bits: 16 | 32 | 64): Instruction {
  if (bits !== 16 && bits !== 32 && bits !== 64) throw new InvalidArgumentError('bits', `${String(bits)} is not 16, 32 or 64`);
  return { code: ALU | 0xd0 | source, dst: reg(dst, 'dst'), src: 0, off: 0, imm: bits };
}

const isLabel = (i: AsmItem): i is Label => 'label' in i;

/** Instruction slots an item occupies. */
const slots = (i: AsmItem): number => (isLabel(i) ? 0 : i.imm2 !== undefined ? 2 : 1);

/** Resolve labels and map fds; returns the bytecode (8 bytes per slot). */
export function encode(items: readonly AsmItem[]): Uint8Array {
  if (!Array.isArray(items)) throw new InvalidArgumentError('instructions', 'must be an array');
  const labels = new Map<string, number>();
  let pc = 0;
  for (const item of items) {
    if (item === null || typeof item !== 'object') throw new InvalidArgumentError('instructions', `${String(item)} is not an instruction`);
    if (isLabel(item)) {
      if (labels.has(item.label)) throw new InvalidArgumentError('label', `${item.label} is defined twice`);
      labels.set(item.label, pc);
    }
    pc += slots(item);
  }
  if (pc === 0) throw new InvalidArgumentError('instructions', 'the program is empty');
  const out = new Uint8Array(pc * 8);
  const view = new DataView(out.buffer);
  pc = 0;
  for (const item of items) {
    if (isLabel(item)) continue;
    let { off, imm } = item;
    if (item.target !== undefined) {
      const at = labels.get(item.target);
      if (at === undefined) throw new InvalidArgumentError('label', `jump at instruction ${pc} targets unknown label ${item.target}`);
      const rel = at - (pc + 1);
      if (item.code === (JMP | 0x80)) imm = rel;
      else off = off16(rel, `jump to ${item.target}`);
    }
    if (item.map) {
      imm = item.map.fd;
      if (!Number.isInteger(imm) || imm < 0) throw closedError('map', { attempted: `encode instruction ${pc}, which loads a closed map` });
    }
    const at = pc * 8;
    view.setUint8(at, item.code);
    view.setUint8(at + 1, (item.src << 4) | item.dst);
    view.setInt16(at + 2, off, true);
    view.setInt32(at + 4, imm, true);
    if (item.imm2 !== undefined) view.setInt32(at + 12, item.imm2, true);
    pc += slots(item);
  }
  return out;
}
