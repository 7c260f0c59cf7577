import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { ElfFile, mappedPath, processMaps } from './index.js';
import { workdir, type Workdir } from './testing/binaries.js';

describe('/proc/<pid>/maps', () => {
  let w: Workdir;
  let child: ChildProcess | undefined;
  beforeAll(() => {
    w = workdir();
  });
  afterAll(() => {
    child?.kill('SIGKILL');
    w.remove();
  });

  it('lists the file mappings of this process', () => {
    const maps = processMaps(process.pid);
    expect(maps.some((m) => m.path === process.execPath && m.perms.includes('x'))).toBe(true);
    for (const m of maps) expect(m.end > m.start).toBe(true);
  });

  it('finds libc mapped by this process by name and by prefix', () => {
    const libc = mappedPath(process.pid, 'libc.so.6');
    expect(libc.endsWith('/libc.so.6')).toBe(true);
    using elf = ElfFile.open(libc);
    expect(elf.dynamic.soname).toBe('libc.so.6');
    expect(mappedPath(process.pid, 'libc')).toBe(libc);
    expect(mappedPath(process.pid, libc)).toBe(libc);
  });

  async function waitForMapping(pid: number, name: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      try {
        return mappedPath(pid, name);
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    throw new Error(`${name} never showed up in /proc/${pid}/maps`);
  }

  it('goes through /proc/<pid>/root for a process in another mount namespace', async () => {
    // A static program run from a bind mount that exists only in the child's mount namespace.
    const jail = join(w.dir, 'jail');
    const mnt = join(w.dir, 'mnt');
    mkdirSync(jail, { recursive: true });
    mkdirSync(mnt, { recursive: true });
    const exe = w.cc('sleeper', 'int main(void){ for(;;) __asm__ volatile("pause"); }', ['-static']);
    copyFileSync(exe, join(jail, 'sleeper'));
    child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind ${jail} ${mnt} && exec ${mnt}/sleeper`], {
      stdio: 'ignore',
    });
    const pid = child.pid!;
    const path = await waitForMapping(pid, 'sleeper');
    expect(path).toBe(`/proc/${pid}/root${mnt}/sleeper`);
    using elf = ElfFile.open(path);
    expect(elf.symbol('main').offset).toBeDefined();
    child.kill('SIGKILL');
  });

  it('keeps the plain path when it names the same file here (chroot)', async () => {
    const root = join(w.dir, 'chroot');
    mkdirSync(root, { recursive: true });
    const exe = w.cc('spinner', 'int main(void){ for(;;) __asm__ volatile("pause"); }', ['-static']);
    copyFileSync(exe, join(root, 'spinner'));
    child = spawn('chroot', [root, '/spinner'], { stdio: 'ignore' });
    const path = await waitForMapping(child.pid!, 'spinner');
    expect(path).toBe(join(root, 'spinner'));
    child.kill('SIGKILL');
  });

  it('rejects bad PIDs and unmapped libraries with typed errors', () => {
    expect(() => processMaps(0)).toThrow(InvalidArgumentError);
    expect(() => processMaps(1.5)).toThrow(InvalidArgumentError);
    const gone = (() => {
      try {
        processMaps(0x3fff_fff0);
      } catch (e) {
        return e;
      }
    })() as SyscallError;
    expect(gone).toBeInstanceOf(SyscallError);
    expect(gone.code).toBe('ESRCH');
    expect(() => mappedPath(process.pid, 'libnotmapped.so')).toThrow(/find libnotmapped\.so in \/proc/);
    expect(() => mappedPath(process.pid, '')).toThrow(InvalidArgumentError);
  });
});
