import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, isNotExist, SyscallError } from '@bpfkit/errors';
import { ElfFile, parseLdSoCache, resolveLibrary } from './index.js';
import { workdir, type Workdir } from './testing/binaries.js';

/** `ldconfig -p`: the oracle for the cache parser. */
function ldconfig(): { name: string; path: string }[] {
  const text = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
  return [...text.matchAll(/^\s+(\S+) \(([^)]*)\) => (\S+)$/gm)].map((m) => ({ name: m[1]!, path: m[3]! }));
}

describe('ld.so.cache', () => {
  it('parses every entry ldconfig -p lists', () => {
    const ours = parseLdSoCache(readFileSync('/etc/ld.so.cache'));
    const oracle = ldconfig();
    expect(ours.map(({ name, path }) => ({ name, path }))).toEqual(oracle);
  });

  it('rejects garbage and out-of-range string offsets', () => {
    expect(() => parseLdSoCache(Buffer.from('not a cache at all, definitely not'))).toThrow(InvalidArgumentError);
    const cache = Buffer.from(readFileSync('/etc/ld.so.cache'));
    cache.writeUInt32LE(0xffff_fff0, 48 + 4); // first entry's key
    expect(() => parseLdSoCache(cache)).toThrow(/entry 0 key: string offset/);
    const huge = Buffer.from(readFileSync('/etc/ld.so.cache'));
    huge.writeUInt32LE(0x7fff_ffff, 20); // entry count
    expect(() => parseLdSoCache(huge)).toThrow(/entries do not fit/);
  });
});

describe('resolveLibrary', () => {
  let w: Workdir;
  beforeAll(() => {
    w = workdir();
  });
  afterAll(() => w.remove());

  it('resolves libc.so.6 as the dynamic loader does', () => {
    const path = resolveLibrary('libc.so.6');
    const expected = ldconfig().find((e) => e.name === 'libc.so.6')!.path;
    expect(path).toBe(expected);
    using elf = ElfFile.open(path);
    expect(elf.dynamic.soname).toBe('libc.so.6');
  });

  it('uses search paths first and accepts only the right machine', () => {
    const dir = join(w.dir, 'libs');
    mkdirSync(dir, { recursive: true });
    copyFileSync(resolveLibrary('libc.so.6'), join(dir, 'libc.so.6'));
    expect(resolveLibrary('libc.so.6', { searchPaths: [dir] })).toBe(join(dir, 'libc.so.6'));
    // Wrong machine: the candidate in the search path is skipped and so is every other libc.
    expect(() => resolveLibrary('libc.so.6', { searchPaths: [dir], machine: 183 })).toThrow(SyscallError);
  });

  it('resolves inside another root and keeps the prefix', () => {
    const root = join(w.dir, 'root');
    const real = realpathSync(resolveLibrary('libc.so.6'));
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
    copyFileSync('/etc/ld.so.cache', join(root, 'etc/ld.so.cache'));
    copyFileSync(real, join(root, 'usr/lib/x86_64-linux-gnu/libc.so.6'));
    const path = resolveLibrary('libc.so.6', { root });
    expect(path.startsWith(root)).toBe(true);
    expect(path.endsWith('/libc.so.6')).toBe(true);
  });

  it('a missing library is ENOENT with what was searched', () => {
    const err = (() => {
      try {
        resolveLibrary('libdoesnotexist.so.42');
      } catch (e) {
        return e;
      }
    })() as SyscallError;
    expect(err).toBeInstanceOf(SyscallError);
    expect(err.code).toBe('ENOENT');
    expect(isNotExist(err)).toBe(true);
    expect(err.message).toMatch(/resolve library libdoesnotexist\.so\.42/);
    expect(() => resolveLibrary('')).toThrow(InvalidArgumentError);
    expect(resolveLibrary('/usr/bin/node')).toBe('/usr/bin/node');
    expect(() => resolveLibrary('/nonexistent/lib.so')).toThrow(SyscallError);
  });
});
