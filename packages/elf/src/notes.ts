import type { FieldReader } from './header.js';
import { view } from './header.js';
import { hex, malformed } from './malformed.js';
import type { ByteSource } from './source.js';

/** One ELF note (`Elf_Nhdr` + name + descriptor). */
export interface ElfNote {
  /** The owner, e.g. `GNU` or `stapsdt`. */
  readonly name: string;
  readonly type: number;
  readonly descriptor: Buffer;
  /** The section (or segment) name the note came from. */
  readonly origin: string;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Parses a note area. Each header advances at least 12 bytes, so the loop always ends. */
export function parseNotes(src: ByteSource, f: FieldReader, data: Buffer, align: number, origin: string): ElfNote[] {
  const a = align === 8 ? 8 : 4;
  const dv = view(data);
  const out: ElfNote[] = [];
  let off = 0;
  while (off + 12 <= data.length) {
    const namesz = f.u32(dv, off);
    const descsz = f.u32(dv, off + 4);
    const type = f.u32(dv, off + 8);
    const nameStart = off + 12;
    const descStart = alignUp(nameStart + namesz, a === 8 ? 8 : 4);
    const end = descStart + descsz;
    if (end > data.length) {
      throw malformed(src.name, `note at ${hex(off)} in ${origin} (name ${namesz} bytes, descriptor ${descsz} bytes) extends past the area (${data.length} bytes)`);
    }
    let nameEnd = nameStart + namesz;
    while (nameEnd > nameStart && data[nameEnd - 1] === 0) nameEnd--;
    out.push({ name: data.toString('latin1', nameStart, nameEnd), type, descriptor: data.subarray(descStart, end), origin });
    off = alignUp(end, a);
  }
  return out;
}
