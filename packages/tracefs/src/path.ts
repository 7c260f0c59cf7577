import { readFileSync, statfsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';

const TRACEFS_MAGIC = 0x74726163;
const DEBUGFS_MAGIC = 0x64626720;

/** The canonical places, in cilium's order; RHEL/CentOS 7 only has debugfs at the second one. */
const DEFAULT_CANDIDATES = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'] as const;

export const MOUNT_HINT = 'mount it with: mount -t tracefs tracefs /sys/kernel/tracing';

/** One line of /proc/<pid>/mountinfo, the fields tracefs discovery needs. */
export interface MountInfoEntry {
  root: string;
  mountPoint: string;
  fsType: string;
}

/** Decodes the octal escapes the kernel writes for space, tab, newline and backslash. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parses mountinfo text (proc(5)): `id parent maj:min root mountpoint options [optional...] - fstype
 * source superoptions`. Malformed lines are skipped.
 */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 7 || dash < 0 || dash + 1 >= fields.length) continue;
    entries.push({
      root: unescapeMountField(fields[3]!),
      mountPoint: unescapeMountField(fields[4]!),
      fsType: fields[dash + 1]!,
    });
  }
  return entries;
}

function fsMagic(path: string): number | undefined {
  try {
    return statfsSync(path).type;
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Picks the tracing directory from mount entries: the first tracefs mounted with root "/", else
 * the first debugfs with root "/" that has a tracing/ directory. Bind mounts of sub-directories
 * (root other than "/") would put the control files elsewhere, so they are ignored.
 */
export function findTracefsInMounts(
  entries: readonly MountInfoEntry[],
  isTracingDir: (path: string) => boolean = isDirectory,
): string | undefined {
  const whole = entries.filter((e) => e.root === '/');
  const tracefs = whole.find((e) => e.fsType === 'tracefs');
  if (tracefs) return tracefs.mountPoint;
  const debugfs = whole.find((e) => e.fsType === 'debugfs' && isTracingDir(join(e.mountPoint, 'tracing')));
  return debugfs ? join(debugfs.mountPoint, 'tracing') : undefined;
}

export interface TracefsPathOptions {
  /** mountinfo file to read instead of /proc/self/mountinfo. */
  mountInfo?: string;
  /** Directories to try when mountinfo names none, instead of the canonical ones. */
  candidates?: readonly string[];
}

let cached: { path: string } | { error: unknown } | undefined;

function discover(options: TracefsPathOptions): string {
  let fromMounts: string | undefined;
  try {
    fromMounts = findTracefsInMounts(parseMountInfo(readFileSync(options.mountInfo ?? '/proc/self/mountinfo', 'utf8')));
  } catch {
    // No /proc (or an unreadable file): the canonical paths below still work.
  }
  // mountinfo can name a mount point that was later covered by another mount; statfs tells.
  const fromMountsMagic = fromMounts === undefined ? undefined : fsMagic(fromMounts);
  if (fromMounts !== undefined && (fromMountsMagic === TRACEFS_MAGIC || fromMountsMagic === DEBUGFS_MAGIC)) {
    return fromMounts;
  }
  const candidates = options.candidates ?? DEFAULT_CANDIDATES;
  for (const dir of candidates) {
    if (fsMagic(dir) === TRACEFS_MAGIC) return dir;
  }
  // Old RHEL kernels expose the tracing files directly inside debugfs.
  for (const dir of candidates) {
    if (fsMagic(dir) === DEBUGFS_MAGIC) return dir;
  }
  throw new NotSupportedError('tracefs', {
    detail: `neither debugfs nor tracefs are mounted (looked in ${options.mountInfo ?? '/proc/self/mountinfo'}, ${candidates.join(', ')}); ${MOUNT_HINT}`,
  });
}

/**
 * The directory where tracefs is mounted: from /proc/self/mountinfo first, then
 * /sys/kernel/tracing, then /sys/kernel/debug/tracing. Throws NotSupportedError (whose message
 * has the mount command) when none is mounted. Without options the answer, or the error, is
 * computed once per process.
 */
export function tracefsPath(options?: TracefsPathOptions): string {
  if (options && (options.mountInfo !== undefined || options.candidates !== undefined)) return discover(options);
  if (!cached) {
    try {
      cached = { path: discover({}) };
    } catch (error) {
      cached = { error };
    }
  }
  if ('error' in cached) throw cached.error;
  return cached.path;
}

/**
 * Joins path parts onto the tracefs base, refusing results outside it (`../` in a group or
 * event name would otherwise reach any file the process can write).
 */
export function tracefsFile(base: string, ...parts: string[]): string {
  const full = resolve(base, ...parts);
  const rel = relative(resolve(base), full);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new InvalidArgumentError('path', `path '${parts.join('/')}' attempts to escape base path '${base}'`);
  }
  return full;
}
