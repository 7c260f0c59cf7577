import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import { ElfFile, ElfType, SymbolBinding, SymbolType } from './index.js';
import { buildElf } from './testing/elf-builder.js';

describe('ELF32 / ELF64, little and big endian', () => {
  for (const cls of [32, 64] as const) {
    for (const littleEndian of [true, false]) {
      it(`reads a ${cls}-bit ${littleEndian ? 'little' : 'big'}-endian file`, () => {
        const built = buildElf({ class: cls, littleEndian });
        using elf = ElfFile.fromBuffer(built.bytes);
        expect(elf.class).toBe(cls);
        expect(elf.endianness).toBe(littleEndian ? 'little' : 'big');
        expect(elf.type).toBe(ElfType.Exec);
        expect(elf.machine).toBe(cls === 64 ? 62 : 3);
        expect(elf.entry).toBe(BigInt(built.textAddress));
        expect(elf.sections.map((s) => s.name)).toEqual(['', '.text', '.note.gnu.build-id', '.symtab', '.strtab', '.shstrtab']);
        expect(elf.programHeaders).toHaveLength(1);
        expect(elf.buildId).toBe(built.buildId);

        const a = elf.symbol('func_a');
        expect(a.value).toBe(BigInt(built.textAddress));
        expect(a.offset).toBe(BigInt(built.textOffset));
        expect(a.size).toBe(16n);
        expect(a.type).toBe(SymbolType.Func);
        expect(a.binding).toBe(SymbolBinding.Global);
        expect(a.section).toBe('.text');
        const b = elf.symbol('func_b');
        expect(b.binding).toBe(SymbolBinding.Weak);
        expect(b.offset).toBe(BigInt(built.textOffset + 16));
        expect(elf.symbol('data_obj').type).toBe(SymbolType.Object);
        expect(() => elf.symbol('imported_fn')).toThrow(/imported from a shared library/);
        expect(() => elf.symbol('nope')).toThrow(SymbolNotFoundError);

        expect(elf.symbolAt(BigInt(built.textAddress + 20))).toMatchObject({ offset: 4n });
        expect(elf.symbolAt(BigInt(built.textAddress + 20)).symbol.name).toBe('func_b');
        expect(elf.fileOffset(built.textAddress + 1)).toBe(BigInt(built.textOffset + 1));
        expect(elf.virtualAddress(built.textOffset)).toBe(BigInt(built.textAddress));
        expect(elf.symbols().map((s) => s.name)).toEqual(['func_a', 'func_b', 'imported_fn', 'data_obj']);
        expect(elf.dynamicSymbols()).toEqual([]);
      });
    }
  }

  it('rejects unknown classes and byte orders at their offsets', () => {
    const bad = buildElf({ class: 64, littleEndian: true }).bytes;
    bad[4] = 7;
    expect(() => ElfFile.fromBuffer(bad)).toThrow(/unknown ELF class 7 at offset 0x4/);
    bad[4] = 2;
    bad[5] = 9;
    expect(() => ElfFile.fromBuffer(bad)).toThrow(/unknown ELF byte order 9 at offset 0x5/);
    expect(() => ElfFile.fromBuffer(Buffer.from([0x7f, 0x45, 0x4c]))).toThrow(InvalidArgumentError);
  });
});
