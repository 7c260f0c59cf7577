import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElfFile, ImportedSymbolError, resolveLibrary } from '@bpfkit/elf';
import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExecutable } from './executable.js';
import { BUILD_TIMEOUT_MS, buildTargets, type Targets, withTargets } from './testing/uprobe-target.js';

describe('openExecutable', () => {
  let targets: Targets;
  let scratch: string;

  beforeAll(() => {
    targets = buildTargets();
    scratch = mkdtempSync(join(tmpdir(), 'bpfkit-exe-'));
  }, BUILD_TIMEOUT_MS);
  afterAll(() => {
    targets.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('resolves functions to file offsets in PIE, non-PIE and stripped (.dynsym only) builds', () => {
    for (const path of [targets.pie, targets.noPie, targets.stripped]) {
      using exe = openExecutable(path);
      using elf = ElfFile.open(path);
      for (const name of ['bpfkit_one', 'bpfkit_two', 'main']) {
        const sym = elf.symbol(name);
        expect(exe.location(name).offset).toBe(elf.fileOffset(sym.value));
      }
    }
    using stripped = ElfFile.open(targets.stripped);
    expect(stripped.symbols()).toEqual([]);
    // Non-PIE text is mapped above its file offset: the two units differ there.
    using noPie = ElfFile.open(targets.noPie);
    const one = noPie.symbol('bpfkit_one');
    expect(one.offset).not.toBe(one.value);
  });

  it('reads no symbol table for an attach by address, and dropSymbols frees them', () => {
    using exe = openExecutable(targets.pie);
    expect(exe.symbolsLoaded).toBe(false);
    expect(exe.location('main', 124).offset).toBe(124n);
    expect(exe.location('', 0x100, 4).offset).toBe(0x104n);
    expect(exe.symbolsLoaded).toBe(false);
    const main = exe.location('main').offset;
    expect(exe.symbolsLoaded).toBe(true);
    expect(exe.location('main', undefined, 2).offset).toBe(main + 2n);
    exe.dropSymbols();
    expect(exe.symbolsLoaded).toBe(false);
    expect(exe.location('main').offset).toBe(main);
  });

  it('resolves many symbols in one walk, with the same answers as one by one', () => {
    using one = openExecutable(targets.noPie);
    using many = openExecutable(targets.noPie);
    const names = ['bpfkit_one', 'bpfkit_two', 'bpfkit_three', 'main'];
    expect(many.locations(names).map((l) => l.offset)).toEqual(names.map((n) => one.location(n).offset));
    expect(many.locations(names, undefined, [1, 2, 3, 0]).map((l) => l.offset)).toEqual(names.map((n, i) => one.location(n).offset + BigInt([1, 2, 3, 0][i]!)));
    expect(many.locations(names, [1, 0, 3, 0]).map((l) => l.offset)).toEqual([1n, one.location('bpfkit_two').offset, 3n, one.location('main').offset]);
    expect(many.locations([], [10, 20]).map((l) => l.offset)).toEqual([10n, 20n]);
  });

  it('symbol(fileOffset) inverts the offsets of every resolved function', () => {
    for (const path of [targets.pie, targets.noPie, targets.stripped]) {
      using exe = openExecutable(path);
      for (const name of ['bpfkit_one', 'bpfkit_three', 'main']) {
        const { offset } = exe.location(name);
        expect(exe.symbol(offset)).toEqual({ symbol: name, offset: 0n });
        expect(exe.symbol(offset + 1n)).toEqual({ symbol: name, offset: 1n });
      }
    }
  });

  it('opens shared libraries by bare name through ld.so.cache, and a process view through /proc/<pid>', async () => {
    using libc = openExecutable('libc.so.6');
    expect(libc.path).toBe(resolveLibrary('libc.so.6'));
    expect(libc.location('getppid').offset).toBeGreaterThan(0n);
    await withTargets(targets.pie, 1, 1, async (t) => {
      using mapped = openExecutable('libc.so.6', { pid: t.pid });
      expect(mapped.location('getppid').offset).toBe(libc.location('getppid').offset);
      using viaRoot = openExecutable(targets.pie, { pid: t.pid });
      // Same mount namespace: the plain path names the same file.
      expect(viaRoot.path).toBe(targets.pie);
    });
  });

  it('finds versioned names (name@VERSION, name@@VERSION) and names with dots', () => {
    using libc = openExecutable('libc.so.6');
    const plain = libc.location('getppid').offset;
    expect(libc.location('getppid@GLIBC_2.2.5').offset).toBe(plain);
    expect(libc.location('getppid@@GLIBC_2.2.5').offset).toBe(plain);
    expect(libc.locations(['getppid@GLIBC_2.2.5', 'getppid']).map((l) => l.offset)).toEqual([plain, plain]);
    using exe = openExecutable(targets.pie);
    using elf = ElfFile.open(targets.pie);
    expect(exe.location('bpfkit.dotted').offset).toBe(elf.symbol('bpfkit.dotted').offset);
    expect(exe.symbol(exe.location('bpfkit.dotted').offset)).toEqual({ symbol: 'bpfkit.dotted', offset: 0n });
  });

  it('refuses an imported symbol, naming the library to probe instead', () => {
    using bash = openExecutable('/bin/bash');
    let err: unknown;
    try {
      bash.location('open');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImportedSymbolError);
    expect((err as ImportedSymbolError).library).toBe('libc.so.6');
    expect(String(err)).toMatch(/open that library/);
    // An address needs no symbol table (cilium's TestUprobeExtWithOpts).
    expect(bash.location('open', 4).offset).toBe(4n);
  });

  it('gives typed errors for bad input', () => {
    expect(() => openExecutable('')).toThrow(InvalidArgumentError);
    expect(() => openExecutable(undefined as never)).toThrow(InvalidArgumentError);
    expect(() => openExecutable('/nonexistent/bpfkit')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => openExecutable('/tmp')).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    const text = join(scratch, 'text');
    writeFileSync(text, 'not an ELF file\n');
    expect(() => openExecutable(text)).toThrow(InvalidArgumentError);
    expect(() => openExecutable('libbpfkit-nonexistent.so.1')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => openExecutable(targets.pie, { pid: 0x7ffffffe })).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => openExecutable(targets.pie, { pid: -1 })).toThrow(InvalidArgumentError);
    // v0.22.0: no exec bit needed (libraries often have none).
    const copy = join(scratch, 'noexec');
    copyFileSync(targets.pie, copy);
    chmodSync(copy, 0o600);
    using noexec = openExecutable(copy);
    expect(noexec.location('bpfkit_one').offset).toBeGreaterThan(0n);

    using exe = openExecutable(targets.pie);
    const missing = (() => {
      try {
        exe.location('bpfkit_missing');
      } catch (e) {
        return e;
      }
    })();
    expect(missing).toBeInstanceOf(SymbolNotFoundError);
    expect((missing as SymbolNotFoundError).path).toBe(targets.pie);
    expect(() => exe.location('bpfkit.one')).toThrow(SymbolNotFoundError);
    expect(() => exe.location('bpfkit_one@GLIBC_2.2.5')).toThrow(SymbolNotFoundError);
    expect(() => exe.location('app_tick_semaphore')).toThrow(/not a function/);
    expect(() => exe.location('bpfkit_one', undefined, 1 << 20)).toThrow(/out of range of symbol bpfkit_one/);
    expect(() => exe.location('x', exe.size)).toThrow(/past the end/);
    expect(() => exe.location('x', -1)).toThrow(InvalidArgumentError);
    expect(() => exe.location('')).toThrow(InvalidArgumentError);
    expect(() => exe.symbol(0)).toThrow(SymbolNotFoundError);
    expect(() => exe.symbol(1n << 62n)).toThrow(InvalidArgumentError);
    using libc = openExecutable('libc.so.6');
    expect(() => libc.location('memcpy')).toThrow(/IFUNC/);
  });
});
