import type { FileOffset, VirtualAddress } from './address.js';
import { type ElfHeader, safeNumber, view } from './header.js';
import { hex, malformed } from './malformed.js';
import type { ByteSource, DecodedBytes } from './source.js';

/** One section header, with its name resolved through `.shstrtab`. */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  /** `sh_type` (see `SectionType`). */
  readonly type: number;
  readonly flags: bigint;
  /** `sh_addr`: where the section is mapped, 0 for sections that are not loaded. */
  readonly address: VirtualAddress;
  /** `sh_offset`: where the section's bytes are in the file. */
  readonly offset: FileOffset;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly addressAlign: bigint;
  readonly entrySize: bigint;
}

interface RawSection extends Omit<ElfSection, 'name'> {
  readonly nameOffset: number;
}

/** Extended numbering: e_shnum == 0 and e_shstrndx == SHN_XINDEX move the real values into section 0. */
const SHN_XINDEX = 0xffff;

export function parseSections(src: ByteSource, h: ElfHeader): ElfSection[] {
  if (h.shoff === 0n) return [];
  const f = h.fields;
  const is64 = f.layout.is64;
  const shoff = safeNumber(src, h.shoff, 'section header table offset e_shoff');
  const readOne = (i: number, buf: Buffer): RawSection => {
    const dv = view(buf);
    const base = i * h.shentsize;
    const w = is64 ? 8 : 4;
    // name, type: u32; then flags, addr, offset, size: words; link, info: u32; addralign, entsize: words
    const flags = f.word(dv, base + 8);
    const address = f.word(dv, base + 8 + w) as VirtualAddress;
    const offset = f.word(dv, base + 8 + 2 * w) as FileOffset;
    const size = f.word(dv, base + 8 + 3 * w);
    const rest = base + 8 + 4 * w;
    return {
      index: i,
      nameOffset: f.u32(dv, base),
      type: f.u32(dv, base + 4),
      flags,
      address,
      offset,
      size,
      link: f.u32(dv, rest),
      info: f.u32(dv, rest + 4),
      addressAlign: f.word(dv, rest + 8),
      entrySize: f.word(dv, rest + 8 + w),
    };
  };

  let count = h.shnum;
  let shstrndx = h.shstrndx;
  if (count === 0 || shstrndx === SHN_XINDEX) {
    const first = readOne(0, src.read(shoff, h.shentsize, 'section header 0'));
    if (count === 0) count = safeNumber(src, first.size, 'extended section count (section 0 sh_size)');
    if (shstrndx === SHN_XINDEX) shstrndx = first.link;
  }
  // The table must fit in the file: this caps the count by the file size before allocating.
  if (count * h.shentsize > src.size - shoff) {
    throw malformed(
      src.name,
      `section header table at ${hex(shoff)} (${count} entries of ${h.shentsize} bytes) extends past the end of the file`,
    );
  }
  const table = src.read(shoff, count * h.shentsize, 'section header table');
  const raw: RawSection[] = [];
  for (let i = 0; i < count; i++) raw.push(readOne(i, table));

  let names: Buffer | undefined;
  if (shstrndx !== 0) {
    const strSec = raw[shstrndx];
    if (!strSec) throw malformed(src.name, `section name table index ${shstrndx} out of range (${count} sections)`);
    names = sectionBytes(src, strSec, '.shstrtab');
  }
  return raw.map(({ nameOffset, ...s }) => ({
    ...s,
    name: names ? readString(src, names, nameOffset, `name of section ${s.index}`) : '',
  }));
}

/** The file bytes of a section (empty for SHT_NOBITS). */
export function sectionBytes(src: ByteSource, s: Omit<ElfSection, 'name'>, what: string): Buffer {
  if (s.type === 8 /* SHT_NOBITS */ || s.size === 0n) return Buffer.alloc(0);
  return src.read(
    safeNumber(src, s.offset, `${what} offset`),
    safeNumber(src, s.size, `${what} size`),
    `${what} (section ${s.index} at ${hex(s.offset)})`,
  );
}

/** A section's bytes as a latin1 string, without keeping the bytes (see `ByteSource.readText`). */
export function sectionText(src: ByteSource, s: Omit<ElfSection, 'name'>, what: string): DecodedBytes {
  if (s.type === 8 /* SHT_NOBITS */ || s.size === 0n) return { text: '', ascii: true };
  return src.readText(
    safeNumber(src, s.offset, `${what} offset`),
    safeNumber(src, s.size, `${what} size`),
    `${what} (section ${s.index} at ${hex(s.offset)})`,
  );
}

/** A NUL-terminated string inside a string table; an index outside it or no terminator is an error. */
export function readString(src: ByteSource, table: Buffer, offset: number, what: string): string {
  if (offset >= table.length) {
    if (offset === 0) return '';
    throw malformed(src.name, `${what}: string index ${offset} outside its string table (${table.length} bytes)`);
  }
  const end = table.indexOf(0, offset);
  if (end < 0) throw malformed(src.name, `${what}: string at index ${offset} is not NUL-terminated`);
  return table.toString('utf8', offset, end);
}
