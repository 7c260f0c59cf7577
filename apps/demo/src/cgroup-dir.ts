import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import * as sys from '@bpfkit/sys';
import type { Cleanup } from './cleanup.js';

/** Where cgroup v2 is mounted (hybrid hosts keep it at /sys/fs/cgroup/unified). */
function mountedCgroup2(): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep >= 0 && line.slice(sep + 3).startsWith('cgroup2 ')) return line.slice(0, sep).split(' ')[4];
  }
  return undefined;
}

/** A cgroup v2 directory of this run (mounting cgroup2 when nothing has); removed at cleanup. */
export function createDemoCgroup(cleanup: Cleanup): string {
  let root = mountedCgroup2();
  if (root === undefined) {
    root = `/run/bpfkit-demo-${process.pid}-cgroup2`;
    mkdirSync(root, { recursive: true });
    cleanup.defer(`remove ${root}`, () => rmdirSync(root!));
    sys.mount('none', root, 'cgroup2', 0);
    cleanup.defer(`unmount ${root}`, () => sys.umount2(root!, 0));
  }
  const path = `${root}/bpfkit-demo-${process.pid}`;
  mkdirSync(path);
  cleanup.defer(`remove cgroup ${path}`, () => rmdirSync(path));
  return path;
}
