import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage, openFds } from '@bpfkit/testing';
import { BpfError, InvalidArgumentError, isNotExist, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import { ElfFile, ElfMachine, ElfType, ImportedSymbolError, resolveLibrary, SymbolType } from './index.js';
import {
  objdumpBytes,
  oracleOffset,
  readelfBuildId,
  readelfSegments,
  readelfSymbols,
  workdir,
  type Workdir,
} from './testing/binaries.js';

const NODE = '/usr/bin/node';

function fileBytes(path: string, offset: bigint, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, Number(offset));
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Every n-th element, so that large tables are compared across their whole range. */
function spread<T>(items: readonly T[], count: number): T[] {
  const step = Math.max(1, Math.floor(items.length / count));
  return items.filter((_, i) => i % step === 0);
}

describe('/usr/bin/node (non-PIE, 99 MB, .symtab)', () => {
  let elf: ElfFile;
  beforeAll(() => {
    elf = ElfFile.open(NODE);
  });
  afterAll(() => elf.close());

  it('reads the header', () => {
    expect(elf.class).toBe(64);
    expect(elf.endianness).toBe('little');
    expect(elf.littleEndian).toBe(true);
    expect(elf.type).toBe(ElfType.Exec);
    expect(elf.machine).toBe(ElfMachine.X86_64);
  });

  it('looking up one exported symbol reads a few hundred KB of the 99 MB file', () => {
    using fresh = ElfFile.open(NODE);
    const sym = fresh.symbol('uv_run');
    expect(sym.type).toBe(SymbolType.Func);
    // Headers, the .gnu.hash bucket and chain, one entry, one name and .gnu.version: not even
    // .dynstr (5 MB) is loaded.
    expect(fresh.bytesRead).toBeLessThan(Number(fresh.section('.dynstr')!.size) / 10);
    expect(fresh.bytesRead).toBeLessThan(500_000);
  });

  it('looking up a .symtab-only symbol reads .symtab and .strtab, not the whole file', () => {
    using fresh = ElfFile.open(NODE);
    const local = readelfSymbols(NODE, '.symtab').find((o) => o.type === 'FUNC' && o.bind === 'LOCAL' && o.name === 'ASIdOrRange_cmp');
    expect(local).toBeDefined();
    const sym = fresh.symbol('ASIdOrRange_cmp');
    expect(sym.table).toBe('symtab');
    expect(sym.value).toBe(local!.value);
    const tables = Number(fresh.section('.symtab')!.size + fresh.section('.strtab')!.size);
    expect(fresh.bytesRead).toBeGreaterThanOrEqual(tables);
    expect(fresh.bytesRead).toBeLessThan(tables + 1_000_000);
  });

  it('matches readelf for every program header', () => {
    const oracle = readelfSegments(NODE);
    expect(elf.programHeaders.length).toBe(oracle.length);
    elf.programHeaders.forEach((p, i) => {
      expect(p.offset).toBe(oracle[i]!.offset);
      expect(p.virtualAddress).toBe(oracle[i]!.vaddr);
      expect(p.fileSize).toBe(oracle[i]!.filesz);
    });
    // The reason for the translation: node's text segment is not mapped at its file offset.
    const text = elf.section('.text')!;
    expect(text.address).not.toBe(text.offset);
  });

  it('matches readelf -sW for .symtab values, sizes and file offsets (every symbol)', () => {
    const segments = readelfSegments(NODE);
    const oracle = readelfSymbols(NODE, '.symtab');
    const ours = elf.symbols();
    expect(ours.length).toBe(oracle.length - 1);
    let funcs = 0;
    for (const o of oracle) {
      if (o.index === 0) continue;
      const s = ours[o.index - 1]!;
      expect(s.index).toBe(o.index);
      // readelf prints the section name for the nameless STT_SECTION symbols.
      const name = o.type === 'SECTION' ? '' : o.name;
      if (s.name !== name || s.value !== o.value || s.size !== o.size) {
        expect({ name: s.name, value: s.value, size: s.size }).toEqual({ name, value: o.value, size: o.size });
      }
      if (o.type === 'FUNC' && o.ndx !== 'UND') {
        funcs++;
        const want = oracleOffset(segments, o.value);
        if (s.offset !== want) expect({ name: o.name, offset: s.offset }).toEqual({ name: o.name, offset: want });
      }
    }
    expect(funcs).toBeGreaterThan(50_000);
  });

  it('translates to offsets holding the bytes objdump shows at the address', () => {
    for (const name of ['uv_run', 'napi_create_object', 'main']) {
      const s = elf.symbol(name);
      expect(s.offset).toBeDefined();
      expect(fileBytes(NODE, s.offset!, 16)).toEqual(objdumpBytes(NODE, s.value, 16));
    }
  });

  it('finds symbols by name in .dynsym and .symtab, matching readelf', () => {
    const segments = readelfSegments(NODE);
    const funcs = readelfSymbols(NODE, '.symtab').filter((o) => o.type === 'FUNC' && o.ndx !== 'UND' && !o.name.includes('@'));
    const byName = new Map<string, number>();
    for (const o of funcs) byName.set(o.name, (byName.get(o.name) ?? 0) + 1);
    const unique = funcs.filter((o) => byName.get(o.name) === 1);
    for (const o of spread(unique, 400)) {
      const s = elf.symbol(o.name);
      expect(s.name).toBe(o.name);
      expect(s.value).toBe(o.value);
      expect(s.offset).toBe(oracleOffset(segments, o.value));
    }
  });

  it('symbolAt finds the symbol covering an address', () => {
    const s = elf.symbol('uv_run');
    const at = elf.symbolAt(s.value + 10n);
    expect(at.symbol.value).toBe(s.value);
    expect(at.offset).toBe(10n);
    expect(elf.symbolAtFileOffset(s.offset! + 3n).offset).toBe(3n);
    expect(() => elf.symbolAt(1n)).toThrow(SymbolNotFoundError);
  });

  it('translates between virtual addresses and file offsets', () => {
    const s = elf.symbol('uv_run');
    expect(elf.fileOffset(s.value)).toBe(s.offset);
    expect(elf.virtualAddress(s.offset!)).toBe(s.value);
    expect(() => elf.fileOffset(0x10n)).toThrow(InvalidArgumentError);
    expect(() => elf.fileOffset(-1)).toThrow(InvalidArgumentError);
  });

  it('reports imports with the library that defines them', () => {
    const err = (() => {
      try {
        elf.symbol('memcpy');
      } catch (e) {
        return e;
      }
    })() as ImportedSymbolError;
    expect(err).toBeInstanceOf(ImportedSymbolError);
    expect(err).toBeInstanceOf(SymbolNotFoundError);
    expect(err.library).toBe('libc.so.6');
    expect(err.needed).toContain('libc.so.6');
    expect(err.path).toBe(NODE);
    expect(err.message).toContain('libc.so.6');
    expect(isNotExist(err)).toBe(true);
  });

  it('throws SymbolNotFoundError naming the path for unknown names', () => {
    expect(() => elf.symbol('no_such_symbol_anywhere')).toThrow(/no_such_symbol_anywhere: not found in \/usr\/bin\/node/);
    expect(() => elf.symbol('')).toThrow(InvalidArgumentError);
  });

  it('reads the build ID like readelf', () => {
    expect(elf.buildId).toBe(readelfBuildId(NODE));
  });

  it('builds a name index after a few lookups and keeps answering the same', () => {
    using e = ElfFile.open(NODE);
    const names = ['uv_run', 'napi_create_object', 'main', 'uv_loop_init'];
    const before = names.map((n) => e.symbol(n).value);
    // The fifth lookup switches to the index; the answers must not change.
    const after = names.map((n) => e.symbol(n).value);
    expect(after).toEqual(before);
    expect(() => e.symbol('memcpy')).toThrow(ImportedSymbolError);
    expect(() => e.symbol('no_such_symbol_anywhere')).toThrow(SymbolNotFoundError);
  });
});

describe('libc (PIE shared library, IFUNCs, versioned symbols)', () => {
  const LIBC = resolveLibrary('libc.so.6');
  let elf: ElfFile;
  beforeAll(() => {
    elf = ElfFile.open(LIBC);
  });
  afterAll(() => elf.close());

  it('is a 64-bit shared object', () => {
    expect(elf.type).toBe(ElfType.Dyn);
    expect(elf.dynamic.soname).toBe('libc.so.6');
  });

  it('matches readelf for every .dynsym entry, versions included', () => {
    const segments = readelfSegments(LIBC);
    const oracle = readelfSymbols(LIBC, '.dynsym');
    const ours = elf.dynamicSymbols();
    expect(ours.length).toBe(oracle.length - 1);
    for (const o of oracle.slice(1)) {
      const s = ours[o.index - 1]!;
      const v = s.version;
      // readelf omits the version of the symbols that name a version definition (GLIBC_2.10).
      const shown = v && v.name !== s.name ? `${s.name}${v.hidden || !s.defined ? '@' : '@@'}${v.name}` : s.name;
      expect(shown).toBe(o.name);
      expect(s.value).toBe(o.value);
      expect(s.size).toBe(o.size);
      if (o.ndx !== 'UND' && (o.type === 'FUNC' || o.type === 'IFUNC')) {
        expect(s.offset).toBe(oracleOffset(segments, o.value));
      }
    }
  });

  it('matches versioned names exactly and by base name', () => {
    const def = elf.symbol('memcpy');
    expect(def.type).toBe(SymbolType.GnuIfunc);
    expect(def.version).toEqual({ name: 'GLIBC_2.14', hidden: false });
    expect(elf.symbol('memcpy@@GLIBC_2.14').value).toBe(def.value);
    const old = elf.symbol('memcpy@GLIBC_2.2.5');
    expect(old.version?.hidden).toBe(true);
    expect(old.value).not.toBe(def.value);
    expect(() => elf.symbol('memcpy@@GLIBC_2.2.5')).toThrow(SymbolNotFoundError);
    expect(() => elf.symbol('memcpy@GLIBC_9.99')).toThrow(SymbolNotFoundError);
  });

  it('finds weak and global functions', () => {
    const oracle = readelfSymbols(LIBC, '.dynsym').filter((o) => o.ndx !== 'UND' && (o.type === 'FUNC' || o.type === 'IFUNC'));
    expect(oracle.some((o) => o.bind === 'WEAK')).toBe(true);
    for (const o of spread(oracle, 300)) {
      const s = elf.symbol(o.name);
      expect(s.name).toBe(o.name.replace(/@.*/, ''));
      expect(s.value).toBe(o.value);
    }
    // By now the name index answers; versioned names must behave as before.
    expect(elf.symbol('memcpy@@GLIBC_2.14').version?.name).toBe('GLIBC_2.14');
    expect(elf.symbol('memcpy@GLIBC_2.2.5').version?.hidden).toBe(true);
    expect(elf.symbol('memcpy').version?.name).toBe('GLIBC_2.14');
    expect(() => elf.symbol('memcpy@@GLIBC_2.2.5')).toThrow(SymbolNotFoundError);
  });

  it('has a build ID and a debug link', () => {
    expect(elf.buildId).toBe(readelfBuildId(LIBC));
    const link = elf.debugLink;
    expect(link?.file).toMatch(/\.debug$/);
    expect(typeof link?.crc32).toBe('number');
  });
});

describe('binaries built by gcc', () => {
  let w: Workdir;
  let pie: string;
  let stripped: string;
  const source = `
#include <stdio.h>
__attribute__((noinline)) int exported_fn(int x) { return x * 3 + 1; }
__attribute__((noinline, weak)) int weak_fn(int x) { return x - 7; }
static __attribute__((noinline)) int local_fn(int x) { return x ^ 0x55; }
int main(int argc, char **argv) { (void)argv; printf("%d\\n", exported_fn(argc) + weak_fn(argc) + local_fn(argc)); return 0; }
`;
  beforeAll(() => {
    w = workdir();
    // Moving .text makes its addresses differ from its file offsets, as in node.
    pie = w.cc('pie', source, ['-fPIE', '-pie', '-rdynamic', '-Wl,--section-start=.text=0x40000']);
    stripped = w.cc('stripped', source, ['-fPIE', '-pie', '-rdynamic', '-s']);
  });
  afterAll(() => w.remove());

  it('translates PIE addresses through PT_LOAD', () => {
    using elf = ElfFile.open(pie);
    expect(elf.type).toBe(ElfType.Dyn);
    const segments = readelfSegments(pie);
    for (const name of ['exported_fn', 'weak_fn', 'local_fn', 'main']) {
      const s = elf.symbol(name);
      expect(s.offset).toBe(oracleOffset(segments, s.value));
      expect(s.offset).not.toBe(s.value);
      expect(fileBytes(pie, s.offset!, Number(s.size))).toEqual(objdumpBytes(pie, s.value, Number(s.size)));
    }
    expect(elf.symbol('weak_fn').binding).toBe(2);
    expect(elf.symbol('local_fn').table).toBe('symtab');
  });

  it('finds exported functions in a stripped binary through .dynsym only', () => {
    using elf = ElfFile.open(stripped);
    expect(elf.section('.symtab')).toBeUndefined();
    expect(elf.symbols()).toEqual([]);
    const s = elf.symbol('exported_fn');
    expect(s.table).toBe('dynsym');
    const oracle = readelfSymbols(stripped, '.dynsym').find((o) => o.name === 'exported_fn')!;
    expect(s.value).toBe(oracle.value);
    expect(s.offset).toBe(oracleOffset(readelfSegments(stripped), oracle.value));
    expect(() => elf.symbol('local_fn')).toThrow(SymbolNotFoundError);
  });

  it('says which library an imported symbol comes from', () => {
    using elf = ElfFile.open(stripped);
    expect(() => elf.symbol('printf')).toThrow(/imported from libc\.so\.6/);
  });

  it('reads the same from a buffer as from the file', () => {
    using a = ElfFile.open(pie);
    using b = ElfFile.fromBuffer(readFileSync(pie), 'pie-buffer');
    expect(b.path).toBe('pie-buffer');
    expect(b.fd).toBe(-1);
    const names = a.symbols().map((s) => [s.name, s.value, s.offset]);
    expect(b.symbols().map((s) => [s.name, s.value, s.offset])).toEqual(names);
    expect(b.buildId).toBe(a.buildId);
  });

  it('gives symbols a plain JSON snapshot', () => {
    using elf = ElfFile.open(pie);
    const snap = elf.symbol('exported_fn').toJSON();
    expect(snap).toMatchObject({ name: 'exported_fn', type: SymbolType.Func, binding: 1, section: '.text', table: 'dynsym' });
  });
});

describe('lifecycle and bad paths', () => {
  const fdCount = () => openFds().size;

  it('close is idempotent, releases the descriptor and later use throws', () => {
    const before = fdCount();
    const elf = ElfFile.open(NODE);
    expect(elf.fd).toBeGreaterThan(0);
    expect(fdCount()).toBe(before + 1);
    elf.close();
    elf.close();
    expect(elf.fd).toBe(-1);
    expect(elf.closed).toBe(true);
    expect(fdCount()).toBe(before);
    expect(() => elf.symbol('uv_run')).toThrow(BpfError);
  });

  it('using disposes the file', () => {
    const before = fdCount();
    {
      using elf = ElfFile.open(NODE);
      expect(elf.fd).toBeGreaterThan(0);
    }
    expect(fdCount()).toBe(before);
  });

  it('a dropped file is closed by the finalizer', async () => {
    const before = fdCount();
    (() => {
      const elf = ElfFile.open(NODE);
      expect(elf.symbol('uv_run').defined).toBe(true);
    })();
    expect(fdCount()).toBe(before + 1);
    await collectGarbage(() => fdCount() <= before, 50);
    expect(fdCount()).toBe(before);
  });

  it('a missing file is ENOENT', () => {
    const err = (() => {
      try {
        ElfFile.open('/nonexistent/elf');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).code).toBe('ENOENT');
    expect(isNotExist(err)).toBe(true);
  });

  it('rejects directories, non-ELF files and empty paths without leaking a descriptor', () => {
    const before = fdCount();
    expect(() => ElfFile.open('/usr/bin')).toThrow(/is a directory/);
    expect(() => ElfFile.open('/etc/passwd')).toThrow(/not an ELF file/);
    expect(() => ElfFile.open('')).toThrow(InvalidArgumentError);
    expect(() => ElfFile.fromBuffer('x' as unknown as Buffer)).toThrow(InvalidArgumentError);
    expect(fdCount()).toBe(before);
  });
});
