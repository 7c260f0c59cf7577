import { readFileSync, statSync } from 'node:fs';
import { Errno, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { type ElfClass, ElfMachine } from './constants.js';
import { ElfFile } from './elf-file.js';
import { parseLdSoCache } from './ld-so-cache.js';


export interface ResolveLibraryOptions {
  /** Resolve inside another root, e.g. `/proc/<pid>/root` for a container; returned paths keep the prefix. */
  readonly root?: string;
  /** Directories searched before the cache (like LD_LIBRARY_PATH). */
  readonly searchPaths?: readonly string[];
  /** Only accept libraries for this machine and class; defaults to the running process's. */
  readonly machine?: number;
  readonly class?: ElfClass;
}

const ARCH: Record<string, { machine: number; class: ElfClass; triplet: string }> = {
  x64: { machine: ElfMachine.X86_64, class: 64, triplet: 'x86_64-linux-gnu' },
  arm64: { machine: ElfMachine.AArch64, class: 64, triplet: 'aarch64-linux-gnu' },
  ia32: { machine: ElfMachine.I386, class: 32, triplet: 'i386-linux-gnu' },
  arm: { machine: ElfMachine.Arm, class: 32, triplet: 'arm-linux-gnueabihf' },
  ppc64: { machine: ElfMachine.PowerPC64, class: 64, triplet: 'powerpc64le-linux-gnu' },
  s390x: { machine: ElfMachine.S390, class: 64, triplet: 's390x-linux-gnu' },
  riscv64: { machine: ElfMachine.RiscV, class: 64, triplet: 'riscv64-linux-gnu' },
  loong64: { machine: ElfMachine.LoongArch, class: 64, triplet: 'loongarch64-linux-gnu' },
};

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function matches(path: string, machine: number | undefined, cls: ElfClass | undefined): boolean {
  if (!isFile(path)) return false;
  try {
    using elf = ElfFile.open(path);
    return (machine === undefined || elf.machine === machine) && (cls === undefined || elf.class === cls);
  } catch {
    return false;
  }
}

/**
 * Finds the file the dynamic loader would use for a bare library name (`libc.so.6`): the search
 * paths given, then `/etc/ld.so.cache`, then the standard directories. Candidates for another
 * machine or class (a 32-bit libc next to the 64-bit one) are skipped. A name with a `/` is
 * returned as is once it exists.
 */
export function resolveLibrary(name: string, options: ResolveLibraryOptions = {}): string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('name', 'library name must be a non-empty string');
  const root = (options.root ?? '').replace(/\/+$/, '');
  const arch = ARCH[process.arch];
  const machine = options.machine ?? arch?.machine;
  const cls = options.class ?? arch?.class;
  const inRoot = (p: string) => `${root}${p}`;
  if (name.includes('/')) {
    if (isFile(inRoot(name))) return inRoot(name);
    throw new SyscallError('open', Errno.ENOENT, { context: `resolve library ${name}` });
  }
  const tried: string[] = [];
  const tryPath = (p: string): string | undefined => {
    tried.push(p);
    return matches(inRoot(p), machine, cls) ? inRoot(p) : undefined;
  };
  for (const dir of options.searchPaths ?? []) {
    const hit = tryPath(`${dir.replace(/\/+$/, '')}/${name}`);
    if (hit) return hit;
  }
  let cache: Buffer | undefined;
  try {
    cache = readFileSync(inRoot('/etc/ld.so.cache'));
  } catch {
    // no cache (musl, minimal containers): the standard directories still apply
  }
  if (cache) {
    for (const entry of parseLdSoCache(cache, inRoot('/etc/ld.so.cache'))) {
      if (entry.name !== name) continue;
      const hit = tryPath(entry.path);
      if (hit) return hit;
    }
  }
  const dirs = [
    ...(arch ? [`/lib/${arch.triplet}`, `/usr/lib/${arch.triplet}`] : []),
    ...(cls === 64 ? ['/lib64', '/usr/lib64'] : ['/lib32', '/usr/lib32']),
    '/lib',
    '/usr/lib',
  ];
  for (const dir of dirs) {
    const hit = tryPath(`${dir}/${name}`);
    if (hit) return hit;
  }
  throw new SyscallError('open', Errno.ENOENT, {
    context: `resolve library ${name}${root ? ` under ${root}` : ''}`,
    hint: `not in ld.so.cache nor in ${[...new Set(tried.map((p) => p.slice(0, p.lastIndexOf('/'))))].join(', ')}`,
  });
}
