import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfError, InvalidArgumentError } from '@bpfkit/errors';
import { ElfFile, type ElfSymbol, resolveLibrary, type SymbolCursor } from './index.js';
import { buildElf } from './testing/elf-builder.js';
import { workdir, type Workdir } from './testing/binaries.js';

type Row = [string, bigint, bigint, number, number, number, number, number, string, boolean];

const fromSymbol = (s: ElfSymbol): Row => [s.name, s.value, s.size, s.type, s.binding, s.visibility, s.sectionIndex, s.index, s.table, s.defined];

/** The cursor's fields, with its number fields checked against the exact ones. */
function fromCursor(c: SymbolCursor): Row {
  const value = c.valueBig;
  const size = c.sizeBig;
  if (value <= BigInt(Number.MAX_SAFE_INTEGER) && c.value !== Number(value)) throw new Error(`value ${c.value} != ${value}`);
  if (size <= BigInt(Number.MAX_SAFE_INTEGER) && c.size !== Number(size)) throw new Error(`size ${c.size} != ${size}`);
  return [c.name, value, size, c.type, c.binding, c.visibility, c.sectionIndex, c.index, c.table, c.defined];
}

/** Differences between the cursor walk and the symbol arrays, entry by entry (empty when equal). */
function differences(path: string, table: 'symtab' | 'dynsym' | 'all', withCopies: boolean): { count: number; diffs: string[] } {
  using listed = ElfFile.open(path);
  const expected =
    table === 'symtab' ? listed.symbols() : table === 'dynsym' ? listed.dynamicSymbols() : [...listed.symbols(), ...listed.dynamicSymbols()];
  using walked = ElfFile.open(path);
  const diffs: string[] = [];
  let k = 0;
  walked.forEachSymbol(
    (c) => {
      const want = expected[k];
      const got = fromCursor(c);
      const exp = want ? fromSymbol(want) : undefined;
      if (JSON.stringify(got, big) !== JSON.stringify(exp, big)) diffs.push(`#${k}: ${JSON.stringify(got, big)} != ${JSON.stringify(exp, big)}`);
      if (withCopies && want && JSON.stringify(c.toSymbol(), big) !== JSON.stringify(want, big)) diffs.push(`#${k}: toSymbol() differs`);
      k++;
      return diffs.length < 5;
    },
    { table },
  );
  if (k !== expected.length) diffs.push(`visited ${k} of ${expected.length}`);
  return { count: k, diffs };
}

const big = (_: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

/** The builder's file with `func_a` renamed in place to a UTF-8 name of the same byte length. */
function withUtf8Name(): { bytes: Buffer; name: string } {
  const bytes = Buffer.from(buildElf({ class: 64, littleEndian: true }).bytes);
  const name = 'fün_a';
  bytes.write(name, bytes.indexOf('func_a\0'));
  return { bytes, name };
}

describe('forEachSymbol', () => {
  let w: Workdir;
  let libc: string;
  beforeAll(() => {
    w = workdir();
    libc = resolveLibrary('libc.so.6');
  });
  afterAll(() => w.remove());

  it.each(['symtab', 'dynsym', 'all'] as const)('/usr/bin/node (%s): every entry equals the listed ElfSymbol', (table) => {
    const r = differences('/usr/bin/node', table, false);
    expect(r.diffs).toEqual([]);
    expect(r.count).toBeGreaterThan(table === 'all' ? 150_000 : 50_000);
  });

  it.each(['symtab', 'dynsym', 'all'] as const)('libc (%s): every entry and every toSymbol() copy equal the listed ElfSymbol', (table) => {
    const r = differences(libc, table, true);
    expect(r.diffs).toEqual([]);
    if (table !== 'symtab') expect(r.count).toBeGreaterThan(1000);
  });

  it('/usr/bin/node: toSymbol() of every entry equals the listed ElfSymbol (offset, section, version)', () => {
    const r = differences('/usr/bin/node', 'all', true);
    expect(r.diffs).toEqual([]);
  });

  it('returning false stops the walk; other results continue it', () => {
    using elf = ElfFile.open('/usr/bin/node');
    const seen: string[] = [];
    elf.forEachSymbol((c) => {
      seen.push(c.table);
      return seen.length < 10;
    });
    expect(seen).toEqual(Array(10).fill('symtab'));
    let n = 0;
    elf.forEachSymbol(
      (c) => {
        n++;
        return c.index < 5 ? undefined : n < 20;
      },
      { table: 'dynsym' },
    );
    expect(n).toBe(20);
  });

  it('the cursor is valid only during its callback; toSymbol() copies last', () => {
    using elf = ElfFile.open(libc);
    let kept: SymbolCursor | undefined;
    let copy: ElfSymbol | undefined;
    elf.forEachSymbol(
      (c) => {
        if (c.name !== 'malloc') return true;
        kept = c;
        copy = c.toSymbol();
        return false;
      },
      { table: 'dynsym' },
    );
    expect(() => kept!.name).toThrow(BpfError);
    expect(() => kept!.index).toThrow(/outside its forEachSymbol callback/);
    expect(copy!.name).toBe('malloc');
    expect(copy!.toJSON()).toEqual(elf.symbol('malloc').toJSON());
  });

  it('a throwing visitor propagates its error and the cursor is invalidated', () => {
    using elf = ElfFile.open(libc);
    let kept: SymbolCursor | undefined;
    expect(() =>
      elf.forEachSymbol((c) => {
        kept = c;
        throw new Error('stop here');
      }),
    ).toThrow('stop here');
    expect(() => kept!.value).toThrow(BpfError);
  });

  it.each(['walk first', 'lookup first'])('non-ASCII names decode as UTF-8 from a file and a buffer (%s)', (order) => {
    const { bytes, name } = withUtf8Name();
    const utf8Path = join(w.dir, 'utf8.elf');
    writeFileSync(utf8Path, bytes);
    for (const open of [() => ElfFile.open(utf8Path), () => ElfFile.fromBuffer(bytes)]) {
      using elf = open();
      if (order === 'lookup first') expect(elf.symbol(name).index).toBe(1);
      const names: string[] = [];
      elf.forEachSymbol((c) => {
        names.push(c.name);
      });
      expect(names).toEqual([name, 'func_b', 'imported_fn', 'data_obj']);
      expect(names).toEqual(elf.symbols().map((s) => s.name));
    }
  });

  it('values above 2^53 are exact in valueBig/sizeBig and the nearest number in value/size', () => {
    const bytes = Buffer.from(buildElf({ class: 64, littleEndian: true }).bytes);
    const shoff = Number(bytes.readBigUInt64LE(40));
    const symtab = Number(bytes.readBigUInt64LE(shoff + 3 * 64 + 24));
    bytes.writeBigUInt64LE(0xffff_ffff_8100_0001n, symtab + 24 + 8);
    bytes.writeBigUInt64LE(0x1_0000_0002n, symtab + 24 + 16);
    using elf = ElfFile.fromBuffer(bytes);
    const got: [number, bigint, number, bigint][] = [];
    elf.forEachSymbol((c) => {
      got.push([c.value, c.valueBig, c.size, c.sizeBig]);
      return false;
    });
    expect(got).toEqual([[Number(0xffff_ffff_8100_0001n), 0xffff_ffff_8100_0001n, 0x1_0000_0002, 0x1_0000_0002n]]);
  });

  it('a bad name index fails on reading that name only, with a typed error', () => {
    const bytes = Buffer.from(buildElf({ class: 64, littleEndian: true }).bytes);
    const shoff = Number(bytes.readBigUInt64LE(40));
    const symtab = Number(bytes.readBigUInt64LE(shoff + 3 * 64 + 24));
    bytes.writeUInt32LE(0xffff, symtab + 2 * 24);
    using elf = ElfFile.fromBuffer(bytes);
    const values: bigint[] = [];
    elf.forEachSymbol((c) => {
      values.push(c.valueBig);
    });
    expect(values).toEqual(elf.symbols().map((s) => s.value));
    expect(() =>
      elf.forEachSymbol((c) => {
        void c.name;
      }),
    ).toThrow(/symtab symbol 2: name index 65535 outside its string table/);
    expect(() => elf.forEachSymbol((c) => void c.name)).toThrow(InvalidArgumentError);
  });

  it('bad arguments and a closed file throw typed errors before visiting anything', () => {
    const elf = ElfFile.open(libc);
    let visited = 0;
    const visit = () => {
      visited++;
    };
    expect(() => elf.forEachSymbol(undefined as unknown as () => void)).toThrow(InvalidArgumentError);
    expect(() => elf.forEachSymbol(visit, { table: 'strtab' as 'symtab' })).toThrow(/options.table/);
    expect(() => elf.forEachSymbol(visit, null as unknown as object)).toThrow(InvalidArgumentError);
    elf.close();
    expect(() => elf.forEachSymbol(visit)).toThrow(BpfError);
    expect(visited).toBe(0);
  });
});
