import { mkdirSync, rmdirSync } from 'node:fs';
import { isNotSupported } from '@bpfkit/errors';
import { cgroup2Mount } from '@bpfkit/link';
import * as sys from '@bpfkit/sys';
import type { Cleanup } from './cleanup.js';

/** A cgroup v2 directory of this run (mounting cgroup2 when nothing has); removed at cleanup. */
export function createDemoCgroup(cleanup: Cleanup): string {
  let root: string;
  try {
    root = cgroup2Mount();
  } catch (err) {
    if (!isNotSupported(err)) throw err;
    root = `/run/bpfkit-demo-${process.pid}-cgroup2`;
    mkdirSync(root, { recursive: true });
    cleanup.defer(`remove ${root}`, () => rmdirSync(root));
    sys.mount('none', root, 'cgroup2', 0);
    cleanup.defer(`unmount ${root}`, () => sys.umount2(root, 0));
  }
  const path = `${root}/bpfkit-demo-${process.pid}`;
  mkdirSync(path);
  cleanup.defer(`remove cgroup ${path}`, () => rmdirSync(path));
  return path;
}
