import type { VirtualAddress } from './address.js';
import type { ElfClass } from './constants.js';
import { hex, malformed } from './malformed.js';
import type { ByteSource } from './source.js';

/** Field offsets of the structures whose layout depends on the ELF class. */
export interface Layout {
  readonly is64: boolean;
  readonly ehdrSize: number;
  readonly shdrSize: number;
  readonly phdrSize: number;
  readonly symSize: number;
  readonly dynSize: number;
}

const LAYOUT32: Layout = { is64: false, ehdrSize: 52, shdrSize: 40, phdrSize: 32, symSize: 16, dynSize: 8 };
const LAYOUT64: Layout = { is64: true, ehdrSize: 64, shdrSize: 64, phdrSize: 56, symSize: 24, dynSize: 16 };

/** Reads class-sized and endian-aware fields out of a DataView. */
export class FieldReader {
  constructor(
    readonly layout: Layout,
    readonly littleEndian: boolean,
  ) {}

  u16(dv: DataView, off: number): number {
    return dv.getUint16(off, this.littleEndian);
  }

  u32(dv: DataView, off: number): number {
    return dv.getUint32(off, this.littleEndian);
  }

  u64(dv: DataView, off: number): bigint {
    return dv.getBigUint64(off, this.littleEndian);
  }

  /** An address-sized field (Elf32_Addr/Off/Word or Elf64_Addr/Off/Xword). */
  word(dv: DataView, off: number): bigint {
    return this.layout.is64 ? dv.getBigUint64(off, this.littleEndian) : BigInt(dv.getUint32(off, this.littleEndian));
  }
}

export function view(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

export interface ElfHeader {
  readonly class: ElfClass;
  readonly littleEndian: boolean;
  readonly osAbi: number;
  readonly type: number;
  readonly machine: number;
  readonly version: number;
  readonly entry: VirtualAddress;
  readonly phoff: bigint;
  readonly shoff: bigint;
  readonly flags: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
  readonly fields: FieldReader;
}

const MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function parseHeader(src: ByteSource): ElfHeader {
  if (src.size < 16) throw malformed(src.name, `too short to be an ELF file (${src.size} bytes)`);
  const ident = src.read(0, 16, 'ELF identification');
  if (!MAGIC.every((b, i) => ident[i] === b)) {
    throw malformed(src.name, `not an ELF file (bad magic ${ident.subarray(0, 4).toString('hex')} at offset 0x0)`);
  }
  const cls = ident[4];
  if (cls !== 1 && cls !== 2) throw malformed(src.name, `unknown ELF class ${cls} at offset 0x4`);
  const data = ident[5];
  if (data !== 1 && data !== 2) throw malformed(src.name, `unknown ELF byte order ${data} at offset 0x5`);
  const layout = cls === 2 ? LAYOUT64 : LAYOUT32;
  const f = new FieldReader(layout, data === 1);
  if (src.size < layout.ehdrSize) {
    throw malformed(src.name, `truncated ELF header (${src.size} bytes, need ${layout.ehdrSize})`);
  }
  const dv = view(src.read(0, layout.ehdrSize, 'ELF header'));
  const o = layout.is64 ? 0 : -12; // 32-bit headers are 12 bytes shorter after e_version
  const w = layout.is64 ? 8 : 4;
  const header: ElfHeader = {
    class: layout.is64 ? 64 : 32,
    littleEndian: f.littleEndian,
    osAbi: ident[7]!,
    type: f.u16(dv, 16),
    machine: f.u16(dv, 18),
    version: f.u32(dv, 20),
    entry: f.word(dv, 24) as VirtualAddress,
    phoff: f.word(dv, 24 + w),
    shoff: f.word(dv, 24 + 2 * w),
    flags: f.u32(dv, 48 + o),
    phentsize: f.u16(dv, 54 + o),
    phnum: f.u16(dv, 56 + o),
    shentsize: f.u16(dv, 58 + o),
    shnum: f.u16(dv, 60 + o),
    shstrndx: f.u16(dv, 62 + o),
    fields: f,
  };
  if (header.phnum !== 0 && header.phentsize < layout.phdrSize) {
    throw malformed(src.name, `program header entry size ${header.phentsize} < ${layout.phdrSize} (e_phentsize at ${hex(54 + o)})`);
  }
  if (header.shoff !== 0n && header.shentsize < layout.shdrSize) {
    throw malformed(src.name, `section header entry size ${header.shentsize} < ${layout.shdrSize} (e_shentsize at ${hex(58 + o)})`);
  }
  return header;
}

/** A 64-bit file field as a safe number, or a typed error naming it. */
export function safeNumber(src: ByteSource, value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(src.name, `${what} ${hex(value)} is out of range`);
  return Number(value);
}
