import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import { isNotSupported } from '@bpfkit/errors';
import { cgroup2Mount } from '../cgroup.js';

let root: string | undefined;

/** Where cgroup v2 is mounted (hybrid hosts keep it at /sys/fs/cgroup/unified); mounts one if none is. */
export function cgroup2Root(): string {
  if (root) return root;
  try {
    return (root = cgroup2Mount());
  } catch (err) {
    if (!isNotSupported(err)) throw err;
  }
  const target = '/run/bpfkit-cgroup2';
  mkdirSync(target, { recursive: true });
  execFileSync('mount', ['-t', 'cgroup2', 'none', target]);
  return (root = target);
}

/** A fresh cgroup v2 directory; `remove()` deletes it (its processes must have exited). */
export function createCgroup(): { path: string; remove(): void } {
  const path = mkdtempSync(`${cgroup2Root()}/bpfkit-test-`);
  return { path, remove: () => rmdirSync(path) };
}

/**
 * Runs bash inside `cgroup`: it moves itself there, then opens `n` UDP sockets to the discard port
 * on loopback, sending one datagram through each (one inet socket creation and one egress packet each).
 */
export function udpFromCgroup(cgroup: string, n: number): void {
  const script = `echo $$ > ${cgroup}/cgroup.procs && for i in $(seq ${n}); do echo x > /dev/udp/127.0.0.1/9; done`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bash in ${cgroup} failed (${r.status}): ${r.stderr}`);
}
