import { copyFileSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfError, InvalidArgumentError } from '@bpfkit/errors';
import { ElfFile } from './index.js';
import { buildElf } from './testing/elf-builder.js';
import { workdir, type Workdir } from './testing/binaries.js';

/** Runs every reader on a file; only typed errors may come out. */
function exercise(bytes: Buffer): void {
  let elf: ElfFile;
  try {
    elf = ElfFile.fromBuffer(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(BpfError);
    return;
  }
  const ops: (() => unknown)[] = [
    () => elf.sections,
    () => elf.programHeaders,
    () => elf.symbols().map((s) => [s.name, s.offset, s.section]),
    () => elf.dynamicSymbols().map((s) => [s.name, s.offset, s.version]),
    () => elf.symbol('func_a'),
    () => elf.symbolAt(elf.entry),
    () => elf.buildId,
    () => elf.debugLink,
    () => elf.dynamic,
    () => elf.notes(),
    () => elf.usdtProbes(),
    () => elf.fileOffset(elf.entry),
  ];
  for (const op of ops) {
    try {
      op();
    } catch (err) {
      if (!(err instanceof BpfError)) throw err;
    }
  }
}

function u64(buf: Buffer, off: number, v: bigint): Buffer {
  buf.writeBigUInt64LE(v, off);
  return buf;
}

describe('hostile input', () => {
  let w: Workdir;
  let small: string;
  beforeAll(() => {
    w = workdir();
    small = w.cc('small', 'int f(int x){return x+1;} int main(void){return f(1);}');
  });
  afterAll(() => w.remove());

  const built = () => Buffer.from(buildElf({ class: 64, littleEndian: true }).bytes);
  // Offsets in the 64-bit builder's output.
  const E_SHOFF = 40;
  const E_SHENTSIZE = 58;
  const E_SHNUM = 60;
  const shoffOf = (b: Buffer) => Number(b.readBigUInt64LE(E_SHOFF));
  const shdr = (b: Buffer, i: number) => shoffOf(b) + i * 64;

  it('a truncated file at every length gives typed errors only', () => {
    const bytes = readFileSync(small);
    const lengths = [0, 1, 4, 15, 16, 17, 40, 52, 63, 64, 65, 120, 500, 4096, bytes.length / 2, bytes.length - 1].map(Math.floor);
    for (const n of lengths) exercise(Buffer.from(bytes.subarray(0, n)));
    const b = built();
    for (let n = 0; n < b.length; n += 7) exercise(Buffer.from(b.subarray(0, n)));
  });

  it('a section header table past the end of the file names its offset', () => {
    const b = u64(built(), E_SHOFF, 0x10_0000n);
    using elf = ElfFile.fromBuffer(b);
    expect(() => elf.sections).toThrow(InvalidArgumentError);
    expect(() => elf.sections).toThrow(/section header 0 at offset 0x100000|section header table at 0x100000/);
  });

  it('an absurd section count is refused before anything is allocated', () => {
    const b = built();
    b.writeUInt16LE(0, E_SHNUM); // extended numbering: the count moves to section 0's sh_size
    u64(b, shdr(b, 0) + 32, 1n << 40n);
    using elf = ElfFile.fromBuffer(b);
    expect(() => elf.sections).toThrow(/1099511627776 entries of 64 bytes\) extends past the end/);
    const c = built();
    c.writeUInt16LE(12, E_SHENTSIZE);
    expect(() => ElfFile.fromBuffer(c)).toThrow(/section header entry size 12/);
  });

  it('a 64-bit offset beyond 2^53 is a typed error, not a precision bug', () => {
    const b = u64(built(), E_SHOFF, 0xffff_ffff_ffff_0000n);
    using elf = ElfFile.fromBuffer(b);
    expect(() => elf.sections).toThrow(/e_shoff 0xffffffffffff0000 is out of range/);
  });

  it('a bad string index names the symbol and the index', () => {
    const b = built();
    const symtab = Number(b.readBigUInt64LE(shdr(b, 3) + 24));
    b.writeUInt32LE(0x7fff_ffff, symtab + 24); // symbol 1's st_name
    using elf = ElfFile.fromBuffer(b);
    expect(() => elf.symbols().map((s) => s.name)).toThrow(/symtab symbol 1: name index 2147483647 outside its string table/);
    const c = built();
    c.writeUInt32LE(0x7fff_ffff, shdr(c, 3)); // .symtab's sh_name
    using elf2 = ElfFile.fromBuffer(c);
    expect(() => elf2.sections).toThrow(/name of section 3: string index 2147483647/);
  });

  it('an unterminated string table is caught', () => {
    const b = built();
    const strtab = Number(b.readBigUInt64LE(shdr(b, 4) + 24));
    const size = Number(b.readBigUInt64LE(shdr(b, 4) + 32));
    b.fill(0x41, strtab, strtab + size);
    using elf = ElfFile.fromBuffer(b);
    expect(() => elf.symbols().map((s) => s.name)).toThrow(/is not NUL-terminated/);
  });

  it('a symbol table linking to a missing string table, or with a tiny entry size, is refused', () => {
    const b = built();
    b.writeUInt32LE(99, shdr(b, 3) + 40); // .symtab sh_link
    using elf = ElfFile.fromBuffer(b);
    expect(() => elf.symbols()).toThrow(/links to string table 99, which does not exist/);
    const c = built();
    u64(c, shdr(c, 3) + 56, 3n); // .symtab sh_entsize
    using elf2 = ElfFile.fromBuffer(c);
    expect(() => elf2.symbols()).toThrow(/entry size 3 is invalid/);
  });

  it('overlapping tables give garbage, never a crash', () => {
    const b = built();
    // .symtab pointing at the section header table itself, .strtab at the ELF header
    u64(b, shdr(b, 3) + 24, BigInt(shoffOf(b)));
    u64(b, shdr(b, 4) + 24, 0n);
    exercise(b);
  });

  it('a PT_LOAD segment past the end of the file is refused when translating', () => {
    const b = built();
    u64(b, 64 + 32, 1n << 40n); // p_filesz
    using elf = ElfFile.fromBuffer(b);
    expect(() => elf.fileOffset(elf.entry)).toThrow(/PT_LOAD segment 0 .* extends past the end of the file/);
  });

  it('a file that shrinks while open throws instead of reading garbage', () => {
    const path = join(w.dir, 'shrinking');
    copyFileSync(small, path);
    using elf = ElfFile.open(path);
    expect(elf.sections.length).toBeGreaterThan(0);
    truncateSync(path, 100);
    expect(() => elf.symbols()).toThrow(BpfError);
    expect(() => elf.symbols()).toThrow(/shrank while open/);
  });

  it('a corrupt .gnu.hash is a typed error naming the section, never a wild read', () => {
    const exported = w.cc('exported', 'int f(int x){return x+1;} int main(void){return f(1);}', ['-rdynamic']);
    const clean = readFileSync(exported);
    using orig = ElfFile.fromBuffer(clean);
    const hash = orig.section('.gnu.hash')!;
    const at = Number(hash.offset);
    const nbuckets = clean.readUInt32LE(at);
    const bloomWords = clean.readUInt32LE(at + 8);

    const badBucket = Buffer.from(clean);
    for (let i = 0; i < nbuckets; i++) badBucket.writeUInt32LE(0xffff_ffff, at + 16 + bloomWords * 8 + i * 4);
    using a = ElfFile.fromBuffer(badBucket);
    expect(() => a.symbol('f')).toThrow(/\.gnu\.hash .*bucket points at symbol 4294967295/);

    const hugeBloom = Buffer.from(clean);
    hugeBloom.writeUInt32LE(0x7fff_ffff, at + 8);
    using b = ElfFile.fromBuffer(hugeBloom);
    expect(() => b.symbol('f')).toThrow(/bucket at 0x[0-9a-f]+ extends past the section/);

    // A chain that never ends stops at the last symbol instead of running on.
    const endless = Buffer.from(clean);
    const symoffset = clean.readUInt32LE(at + 4);
    const dynsymCount = Number(orig.section('.dynsym')!.size / 24n);
    const chains = at + 16 + bloomWords * 8 + nbuckets * 4;
    for (let i = symoffset; i < dynsymCount; i++) endless.writeUInt32LE((endless.readUInt32LE(chains + (i - symoffset) * 4) & ~1) >>> 0, chains + (i - symoffset) * 4);
    using c = ElfFile.fromBuffer(endless);
    expect(c.symbol('f').name).toBe('f');
  });

  it('a note whose sizes overflow the section is an error', () => {
    const b = built();
    const note = Number(b.readBigUInt64LE(shdr(b, 2) + 24));
    b.writeUInt32LE(0xffff_ffff, note); // namesz
    using elf = ElfFile.fromBuffer(b);
    expect(() => elf.buildId).toThrow(/note at 0x0 in \.note\.gnu\.build-id/);
  });
});
