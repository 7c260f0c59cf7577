/**
 * vitest globalSetup of @bpfkit/link: after every test file has run (and its worker has exited),
 * nothing the suite made may remain. A link that outlives its process is held by a pin or by
 * another process; one of a bpfkit test program (named bpfkit_*) held by no live process is ours.
 * Pins under /sys/fs/bpf, cgroup directories and netns pins use the names the test helpers give
 * them (bpfkit-*); those that appeared during the run are reported. Per-file afterAll hooks make
 * the same checks for links and fds while the file's process is alive.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isNotSupported } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { cgroup2Mount } from '../src/cgroup.js';

const BPFFS = '/sys/fs/bpf';
const NETNS = '/run/netns';

function names(dir: string, prefix: string): Set<string> {
  try {
    return new Set(readdirSync(dir).filter((n) => n.startsWith(prefix)));
  } catch {
    return new Set();
  }
}

function cgroup2Root(): string | undefined {
  try {
    return cgroup2Mount();
  } catch (err) {
    if (isNotSupported(err)) return undefined;
    throw err;
  }
}

/** Links of programs named bpfkit_*, by link ID. */
function testLinks(): Map<number, string> {
  const out = new Map<number, string>();
  for (let id = sys.linkGetNextId(0); id !== undefined; id = sys.linkGetNextId(id)) {
    try {
      using link = sys.linkGetFdById(id);
      const info = sys.linkInfo(link.fd);
      using prog = sys.progGetFdById(info.progId);
      const name = sys.progInfo(prog.fd).name;
      if (name.startsWith('bpfkit')) out.set(id, name);
    } catch {
      // Gone between the ID and the open.
    }
  }
  return out;
}

/** IDs of the links some live process holds an fd of (fdinfo shows link_id). */
function heldLinkIds(): Set<number> {
  const held = new Set<number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf_link') continue;
        const m = /^link_id:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        if (m) held.add(Number(m[1]));
      } catch {
        // The process or fd went away.
      }
    }
  }
  return held;
}

/** Whether `pid` is gone or is one of this run's workers (they may outlive the last file): its netns is ours. */
function oursOrGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
  } catch {
    return true;
  }
}

export default function setup(): (() => void) | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const cgroups = cgroup2Root();
  const before = {
    links: new Set(testLinks().keys()),
    pins: names(BPFFS, 'bpfkit-'),
    cgroups: cgroups === undefined ? new Set<string>() : names(cgroups, 'bpfkit-test-'),
    netns: names(NETNS, 'bpfkit-'),
  };
  return () => {
    const held = heldLinkIds();
    const fresh = (now: Set<string>, was: Set<string>) => [...now].filter((n) => !was.has(n));
    const left = [
      ...[...testLinks()].filter(([id]) => !before.links.has(id) && !held.has(id)).map(([id, prog]) => `link ${id} of program ${prog}`),
      ...fresh(names(BPFFS, 'bpfkit-'), before.pins).map((n) => `pin ${BPFFS}/${n}`),
      ...(cgroups === undefined ? [] : fresh(names(cgroups, 'bpfkit-test-'), before.cgroups).map((n) => `cgroup ${cgroups}/${n}`)),
      // createNetns names them bpfkit-<pid>-<n>: skip those of other live processes.
      ...fresh(names(NETNS, 'bpfkit-'), before.netns)
        .filter((n) => oursOrGone(Number(n.split('-')[1])))
        .map((n) => `netns ${NETNS}/${n}`),
    ];
    if (left.length === 0) return;
    // vitest only logs an error thrown here: set the exit code so that the run fails.
    console.error(`@bpfkit/link tests left behind: ${left.join(', ')}`);
    process.exitCode = 1;
  };
}
