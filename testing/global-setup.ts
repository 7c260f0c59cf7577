/**
 * vitest globalSetup shared by every package: makes sure the kernel filesystems the real-kernel
 * tests use are mounted. Under BPFKIT_STRICT=1 (CI) running without root is an error, not a skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const MOUNTS = [
  { type: 'bpf', target: '/sys/fs/bpf' },
  { type: 'tracefs', target: '/sys/kernel/tracing' },
  { type: 'debugfs', target: '/sys/kernel/debug' },
] as const;

function mountedTypes(): Map<string, string> {
  const byTarget = new Map<string, string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const target = line.slice(0, sep).split(' ')[4]!;
    byTarget.set(target, line.slice(sep + 3).split(' ')[0]!);
  }
  return byTarget;
}

export default function setup(): void {
  const strict = process.env.BPFKIT_STRICT === '1';
  if (process.getuid?.() !== 0) {
    const msg = 'the real-kernel tests need root (or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN)';
    if (strict) throw new Error(`BPFKIT_STRICT=1: ${msg}`);
    console.warn(`warning: ${msg}; they will be skipped`);
    return;
  }
  const mounted = mountedTypes();
  for (const { type, target } of MOUNTS) {
    if (mounted.get(target) === type || !existsSync(target)) continue;
    try {
      execFileSync('mount', ['-t', type, type, target], { stdio: 'pipe' });
    } catch (err) {
      const msg = `could not mount ${type} on ${target}: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? err}`;
      if (strict) throw new Error(msg);
      console.warn(`warning: ${msg}`);
    }
  }
}
