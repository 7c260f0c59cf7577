/**
 * Writes small synthetic ELF files in any class and byte order: the only way to test ELF32 and
 * big-endian parsing on an x86-64 machine without cross toolchains.
 */

export interface BuiltElf {
  readonly bytes: Buffer;
  /** Where .text starts in the file and in memory (they differ on purpose). */
  readonly textOffset: number;
  readonly textAddress: number;
  readonly buildId: string;
}

export interface BuildOptions {
  readonly class: 32 | 64;
  readonly littleEndian: boolean;
  readonly machine?: number;
}

class Writer {
  readonly buf = Buffer.alloc(4096);
  constructor(
    private readonly le: boolean,
    private readonly is64: boolean,
  ) {}
  u8(o: number, v: number): void {
    this.buf.writeUInt8(v, o);
  }
  u16(o: number, v: number): void {
    if (this.le) this.buf.writeUInt16LE(v, o);
    else this.buf.writeUInt16BE(v, o);
  }
  u32(o: number, v: number): void {
    if (this.le) this.buf.writeUInt32LE(v, o);
    else this.buf.writeUInt32BE(v, o);
  }
  word(o: number, v: number): number {
    if (!this.is64) {
      this.u32(o, v);
      return o + 4;
    }
    if (this.le) this.buf.writeBigUInt64LE(BigInt(v), o);
    else this.buf.writeBigUInt64BE(BigInt(v), o);
    return o + 8;
  }
}

export function buildElf(opts: BuildOptions): BuiltElf {
  const is64 = opts.class === 64;
  const w = new Writer(opts.littleEndian, is64);
  const ehdr = is64 ? 64 : 52;
  const phdr = is64 ? 56 : 32;
  const shdr = is64 ? 64 : 40;
  const sym = is64 ? 24 : 16;
  const base = 0x400000;

  // Layout: ehdr | phdr | .text @0x100 | .note @0x140 | .symtab @0x180 | .strtab | .shstrtab | shdrs
  const textOffset = 0x100;
  const textSize = 0x30;
  const noteOffset = 0x140;
  const symtabOffset = 0x180;
  const names = ['', 'func_a', 'func_b', 'imported_fn', 'data_obj'];
  const strtab = Buffer.from(`${names.join('\0')}\0`);
  const nameOff = (n: string) => strtab.indexOf(Buffer.from(`${n}\0`));
  const symbols = [
    { name: '', value: 0, size: 0, info: 0, shndx: 0 },
    { name: 'func_a', value: base + textOffset, size: 16, info: (1 << 4) | 2, shndx: 1 },
    { name: 'func_b', value: base + textOffset + 16, size: 16, info: (2 << 4) | 2, shndx: 1 },
    { name: 'imported_fn', value: 0, size: 0, info: (1 << 4) | 2, shndx: 0 },
    { name: 'data_obj', value: base + textOffset + 32, size: 8, info: (1 << 4) | 1, shndx: 1 },
  ];
  const strtabOffset = symtabOffset + symbols.length * sym;
  const shstr = Buffer.from('\0.text\0.note.gnu.build-id\0.symtab\0.strtab\0.shstrtab\0');
  const shstrOffset = strtabOffset + strtab.length;
  const shoff = Math.ceil((shstrOffset + shstr.length) / 8) * 8;
  const id = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');

  w.buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, opts.littleEndian ? 1 : 2, 1, 0], 0);
  w.u16(16, 2); // ET_EXEC
  w.u16(18, opts.machine ?? (is64 ? 62 : 3));
  w.u32(20, 1);
  let o = w.word(24, base + textOffset); // e_entry
  o = w.word(o, ehdr); // e_phoff
  o = w.word(o, shoff); // e_shoff
  w.u32(o, 0);
  w.u16(o + 4, ehdr);
  w.u16(o + 6, phdr);
  w.u16(o + 8, 1);
  w.u16(o + 10, shdr);
  w.u16(o + 12, 6);
  w.u16(o + 14, 5);

  // One PT_LOAD R+X mapping the first page at `base`.
  if (is64) {
    w.u32(ehdr, 1);
    w.u32(ehdr + 4, 5);
    w.word(ehdr + 8, 0);
    w.word(ehdr + 16, base);
    w.word(ehdr + 24, base);
    w.word(ehdr + 32, shoff);
    w.word(ehdr + 40, shoff);
    w.word(ehdr + 48, 0x1000);
  } else {
    w.u32(ehdr, 1);
    w.u32(ehdr + 4, 0);
    w.u32(ehdr + 8, base);
    w.u32(ehdr + 12, base);
    w.u32(ehdr + 16, shoff);
    w.u32(ehdr + 20, shoff);
    w.u32(ehdr + 24, 5);
    w.u32(ehdr + 28, 0x1000);
  }

  w.buf.fill(0x90, textOffset, textOffset + textSize);
  // NT_GNU_BUILD_ID note
  w.u32(noteOffset, 4);
  w.u32(noteOffset + 4, id.length);
  w.u32(noteOffset + 8, 3);
  w.buf.write('GNU\0', noteOffset + 12, 'latin1');
  id.copy(w.buf, noteOffset + 16);

  symbols.forEach((s, i) => {
    const b = symtabOffset + i * sym;
    w.u32(b, s.name ? nameOff(s.name) : 0);
    if (is64) {
      w.u8(b + 4, s.info);
      w.u16(b + 6, s.shndx);
      w.word(b + 8, s.value);
      w.word(b + 16, s.size);
    } else {
      w.u32(b + 4, s.value);
      w.u32(b + 8, s.size);
      w.u8(b + 12, s.info);
      w.u16(b + 14, s.shndx);
    }
  });
  strtab.copy(w.buf, strtabOffset);
  shstr.copy(w.buf, shstrOffset);

  const shName = (n: string) => shstr.indexOf(Buffer.from(`${n}\0`));
  const sections = [
    { name: 0, type: 0, flags: 0, addr: 0, off: 0, size: 0, link: 0, info: 0, align: 0, entsize: 0 },
    { name: shName('.text'), type: 1, flags: 6, addr: base + textOffset, off: textOffset, size: textSize, link: 0, info: 0, align: 16, entsize: 0 },
    { name: shName('.note.gnu.build-id'), type: 7, flags: 2, addr: base + noteOffset, off: noteOffset, size: 16 + id.length, link: 0, info: 0, align: 4, entsize: 0 },
    { name: shName('.symtab'), type: 2, flags: 0, addr: 0, off: symtabOffset, size: symbols.length * sym, link: 4, info: 1, align: 8, entsize: sym },
    { name: shName('.strtab'), type: 3, flags: 0, addr: 0, off: strtabOffset, size: strtab.length, link: 0, info: 0, align: 1, entsize: 0 },
    { name: shName('.shstrtab'), type: 3, flags: 0, addr: 0, off: shstrOffset, size: shstr.length, link: 0, info: 0, align: 1, entsize: 0 },
  ];
  sections.forEach((s, i) => {
    const b = shoff + i * shdr;
    w.u32(b, s.name);
    w.u32(b + 4, s.type);
    let p = w.word(b + 8, s.flags);
    p = w.word(p, s.addr);
    p = w.word(p, s.off);
    p = w.word(p, s.size);
    w.u32(p, s.link);
    w.u32(p + 4, s.info);
    p = w.word(p + 8, s.align);
    w.word(p, s.entsize);
  });
  return {
    bytes: Buffer.from(w.buf.subarray(0, shoff + sections.length * shdr)),
    textOffset,
    textAddress: base + textOffset,
    buildId: id.toString('hex'),
  };
}
