import { readFileSync, statSync } from 'node:fs';
import { Errno, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { fsError } from './source.js';

/** One line of `/proc/<pid>/maps` that maps a file. */
export interface MappedFile {
  readonly start: bigint;
  readonly end: bigint;
  readonly perms: string;
  /** File offset of `start`. */
  readonly offset: bigint;
  readonly inode: number;
  /** The path as the process sees it (inside its own mount namespace). */
  readonly path: string;
}

/** The file-backed mappings of a process. */
export function processMaps(pid: number): MappedFile[] {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new InvalidArgumentError('pid', `${pid} is not a process ID`);
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new SyscallError('open', Errno.ESRCH, { context: `read /proc/${pid}/maps`, hint: 'no such process', cause: err });
    throw fsError(err, 'open', `read /proc/${pid}/maps`);
  }
  const out: MappedFile[] = [];
  const re = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ (\d+)\s+(\/.*)$/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m || m[6]!.endsWith(' (deleted)')) continue;
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3]!, offset: BigInt(`0x${m[4]}`), inode: Number(m[5]), path: m[6]! });
  }
  return out;
}

/** Whether `path` here is the very file the process mapped (same inode). */
function sameFile(path: string, inode: number): boolean {
  try {
    return statSync(path).ino === inode;
  } catch {
    return false;
  }
}

/**
 * The path of a library mapped by a running process, usable from this process: the plain path
 * when it names the same file here, else through `/proc/<pid>/root` (containers). `library` is a path, a
 * file name (`libc.so.6`) or a prefix of one (`libc` matches `libc.so.6` and `libc-2.31.so`).
 */
export function mappedPath(pid: number, library: string): string {
  if (typeof library !== 'string' || library === '') throw new InvalidArgumentError('library', 'must be a non-empty string');
  const maps = processMaps(pid);
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  const hit = library.includes('/')
    ? maps.find((m) => m.path === library)
    : (maps.find((m) => base(m.path) === library) ??
      maps.find((m) => base(m.path).startsWith(`${library}.`) || base(m.path).startsWith(`${library}-`)));
  if (!hit) {
    throw new SyscallError('open', Errno.ENOENT, { context: `find ${library} in /proc/${pid}/maps`, hint: 'the process does not map it' });
  }
  // The kernel prints paths relative to our root when it can (chroot); a file in another mount
  // namespace (a container) only has a path there, reachable through /proc/<pid>/root.
  return sameFile(hit.path, hit.inode) ? hit.path : `/proc/${pid}/root${hit.path}`;
}
