// Runs only inside a vmtest guest (BPFKIT_VMTEST_GUEST=1): checks what the runner promises the
// suites, including that the guest cannot write to the host's root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function mounts(): Map<string, string> {
  const byTarget = new Map<string, string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n')) {
    const [left, right] = line.split(' - ');
    byTarget.set(left!.split(' ')[4]!, right!.split(' ')[0]!);
  }
  return byTarget;
}

describe('vmtest guest', () => {
  it('runs the kernel the runner booted', () => {
    expect(process.env.BPFKIT_VMTEST_KERNEL).toBeTruthy();
    expect(release()).toMatch(/-amd64$/);
  });

  it('has bpffs, tracefs, debugfs and cgroup2 mounted', () => {
    const m = mounts();
    expect(m.get('/sys/fs/bpf')).toBe('bpf');
    expect(m.get('/sys/kernel/tracing')).toBe('tracefs');
    expect(m.get('/sys/kernel/debug')).toBe('debugfs');
    expect(m.get('/sys/fs/cgroup')).toBe('cgroup2');
    expect(m.get('/')).toBe('overlay');
  });

  it('has the BPF LSM active (lsm=...,bpf)', () => {
    expect(readFileSync('/sys/kernel/security/lsm', 'utf8').split(',')).toContain('bpf');
  });

  it('writes to the root land in the tmpfs overlay', () => {
    const dir = mkdtempSync(join(process.cwd(), '.vmtest-guest-'));
    writeFileSync(join(dir, 'f'), 'x');
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('x');
    rmSync(dir, { recursive: true });
  });

  it('cannot write to the host root, even after remounting its 9p mount read-write (qemu readonly=on)', () => {
    const hostRoot = '/run/vmtest-hostroot';
    expect(mounts().get(hostRoot)).toBe('9p');
    execFileSync('mount', ['-o', 'remount,rw', hostRoot]);
    try {
      let error: NodeJS.ErrnoException | undefined;
      try {
        writeFileSync(join(hostRoot, 'tmp', `vmtest-write-${process.pid}`), 'must not reach the host');
      } catch (err) {
        error = err as NodeJS.ErrnoException;
      }
      expect(error?.code).toBe('EROFS');
    } finally {
      execFileSync('mount', ['-o', 'remount,ro', hostRoot]);
    }
  });
});
