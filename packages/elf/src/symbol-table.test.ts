import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import { ElfFile } from './index.js';
import { buildElf } from './testing/elf-builder.js';
import { workdir, type Workdir } from './testing/binaries.js';

/** The builder's file with `func_a` renamed in place to a UTF-8 name of the same byte length. */
function withUtf8Name(): { bytes: Buffer; name: string } {
  const bytes = Buffer.from(buildElf({ class: 64, littleEndian: true }).bytes);
  const name = 'fün_a';
  const at = bytes.indexOf('func_a\0');
  expect(Buffer.byteLength(name)).toBe('func_a'.length);
  bytes.write(name, at);
  return { bytes, name };
}

describe('string tables', () => {
  let w: Workdir;
  beforeAll(() => {
    w = workdir();
  });
  afterAll(() => w.remove());

  // A walk reads the string table as text, a lookup as bytes: both must give the same names.
  it.each(['walk first', 'lookup first'])('non-ASCII names decode as UTF-8 from a file and from a buffer (%s)', (order) => {
    const { bytes, name } = withUtf8Name();
    const path = join(w.dir, 'utf8.elf');
    writeFileSync(path, bytes);
    for (const open of [() => ElfFile.open(path), () => ElfFile.fromBuffer(bytes)]) {
      using elf = open();
      const walk = () => elf.symbols().map((s) => s.name);
      const lookup = () => elf.symbol(name);
      if (order === 'walk first') {
        expect(walk()).toEqual([name, 'func_b', 'imported_fn', 'data_obj']);
        expect(lookup().index).toBe(1);
      } else {
        expect(lookup().name).toBe(name);
        expect(walk()).toContain(name);
      }
      expect(elf.symbol('func_b').index).toBe(2);
      expect(() => elf.symbol('fün')).toThrow(SymbolNotFoundError);
    }
  });

  it('symbols keep their names after other files are walked (the read buffer is reused)', () => {
    const { bytes, name } = withUtf8Name();
    const a = join(w.dir, 'a.elf');
    writeFileSync(a, bytes);
    const first = ElfFile.open(a);
    const symbols = first.symbols();
    first.close();
    using node = ElfFile.open('/usr/bin/node');
    expect(node.symbols().length).toBeGreaterThan(10_000);
    expect(symbols.map((s) => s.name)).toEqual([name, 'func_b', 'imported_fn', 'data_obj']);
  });

  it('a walk of a table with a bad name index still fails on that name only', () => {
    const bytes = Buffer.from(buildElf({ class: 64, littleEndian: true }).bytes);
    const shoff = Number(bytes.readBigUInt64LE(40));
    const symtab = Number(bytes.readBigUInt64LE(shoff + 3 * 64 + 24));
    bytes.writeUInt32LE(0xffff, symtab + 2 * 24); // symbol 2's st_name
    const path = join(w.dir, 'bad-name.elf');
    writeFileSync(path, bytes);
    using elf = ElfFile.open(path);
    const symbols = elf.symbols();
    expect(symbols[0]!.name).toBe('func_a');
    expect(() => symbols[1]!.name).toThrow(InvalidArgumentError);
    expect(() => symbols[1]!.name).toThrow(/symtab symbol 2: name index 65535 outside its string table/);
  });

  it.each([true, false])('64-bit values and sizes above 2^32 are exact (little-endian: %s)', (littleEndian) => {
    const bytes = Buffer.from(buildElf({ class: 64, littleEndian }).bytes);
    const shoff = Number(littleEndian ? bytes.readBigUInt64LE(40) : bytes.readBigUInt64BE(40));
    const at = shoff + 3 * 64 + 24;
    const symtab = Number(littleEndian ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at));
    const write = (v: bigint, o: number) => (littleEndian ? bytes.writeBigUInt64LE(v, o) : bytes.writeBigUInt64BE(v, o));
    write(0xfedc_ba98_7654_3210n, symtab + 24 + 8); // symbol 1's st_value
    write(0x1_0000_0002n, symtab + 24 + 16); // and st_size
    using elf = ElfFile.fromBuffer(bytes);
    const [a, b] = elf.symbols();
    expect(a!.value).toBe(0xfedc_ba98_7654_3210n);
    expect(a!.size).toBe(0x1_0000_0002n);
    expect(b!.value).toBe(0x400110n);
    expect(b!.size).toBe(16n);
  });
});
