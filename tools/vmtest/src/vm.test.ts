import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { VmError, boot, findExecutable, guestExitCode, guestScript, runningVms } from './vm.js';
import type { PreparedKernel } from './prepare.js';

describe('guest script', () => {
  it('reproduces environment, working directory and argv exactly through bash', () => {
    const env = { A: "it's", B: 'a b\n$HOME `x`', 'NOT-A-NAME': 'skipped', PWD: '/elsewhere' };
    const script = guestScript(['printf', '%s|', '$A', "it's"], '/tmp', env);
    expect(script).not.toContain('NOT-A-NAME');
    const probe = `${script.replace(/^exec /m, '')}printf '%s|%s|%s' "$A" "$B" "$PWD"\n`;
    const out = execFileSync('bash', ['-c', probe], { encoding: 'utf8', env: {}, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toBe(`$A|it's|it's|a b\n$HOME \`x\`|/tmp`);
  });
});

describe('guest exit status', () => {
  it('is the last vmtest-rc line of the console', () => {
    expect(guestExitCode('[ 1.0] booting\nvmtest-rc=3\nvmtest-rc=0\n[ 2.0] reboot: Power down\n')).toBe(0);
    expect(guestExitCode('vmtest-init: mounting the host root over 9p failed\n')).toBeNull();
  });
});

describe('boot failure modes that need no VM', () => {
  const kernel: PreparedKernel = {
    name: '6.12',
    release: 'x',
    packageVersion: 'x',
    dir: '/nonexistent',
    vmlinux: '/nonexistent/vmlinux',
    initrd: '/nonexistent/initrd.gz',
    modules: '/nonexistent/modules',
    lsm: 'lsm=bpf',
    initHash: '',
  };

  it('reports a missing qemu with the kernel name and how to install it', async () => {
    await expect(boot({ kernel, argv: ['true'], cwd: '/', timeoutMs: 1000, qemu: 'qemu-system-does-not-exist' })).rejects.toThrow(
      /^\[6\.12\] qemu-system-does-not-exist not found in PATH: install it \(apt-get install/,
    );
    expect(runningVms()).toBe(0);
  });

  it('reports an incomplete kernel cache', async () => {
    const err = await boot({ kernel, argv: ['true'], cwd: '/', timeoutMs: 1000, qemu: 'true' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmError);
    expect((err as VmError).message).toMatch(/\/nonexistent\/vmlinux is missing/);
  });

  it('finds executables in PATH only when they are executable', () => {
    expect(findExecutable('sh', '/nonexistent:/bin')).toBe('/bin/sh');
    expect(findExecutable('passwd', '/etc')).toBeUndefined();
  });
});
