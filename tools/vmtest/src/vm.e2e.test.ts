// Boots a real kernel (BPFKIT_VMTEST_E2E_KERNEL, default 6.12; prepared into the cache on first
// use) to check the runner's failure modes and its isolation from the host. Run with
// `pnpm --filter @bpfkit/vmtest test:e2e` (about 2 minutes under TCG).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Apt } from './apt.js';
import { kernelSpec } from './kernels.js';
import { type PreparedKernel, prepareKernel, resolveKernel } from './prepare.js';
import { boot, runningVms } from './vm.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CACHE = process.env.BPFKIT_VMCACHE ?? join(ROOT, '.vmcache');
const NAME = process.env.BPFKIT_VMTEST_E2E_KERNEL ?? '6.12';

let kernel: PreparedKernel;

beforeAll(() => {
  const spec = kernelSpec(NAME);
  const apt = new Apt(CACHE, spec);
  kernel = prepareKernel(apt, resolveKernel(apt, spec), CACHE, () => {});
});

/** Pids of live processes whose parent is `ppid`. */
function childrenOf(ppid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1] === String(ppid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Whether `pid` is a live process (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

describe(`vmtest on ${NAME}`, () => {
  it('passes the guest command its output, working directory, environment and exit status', async () => {
    const r = await boot({
      kernel,
      argv: ['bash', '-c', 'echo "out $PWD $VMTEST_E2E_VALUE $(uname -r)"; exit 7'],
      cwd: '/usr/share',
      env: { ...process.env, VMTEST_E2E_VALUE: "a 'quoted' value" },
      timeoutMs: 300_000,
    });
    expect(r.status).toBe('exited');
    expect(r.exitCode).toBe(7);
    expect(r.output).toBe(`out /usr/share a 'quoted' value ${kernel.release}\n`);
    expect(runningVms()).toBe(0);
  });

  it('never lets the guest write to the host root: the file stays absent on the host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmtest-e2e-'));
    const target = join(dir, 'written-by-guest');
    try {
      const r = await boot({
        kernel,
        argv: ['bash', '-c', `mount -o remount,rw /run/vmtest-hostroot && echo x > /run/vmtest-hostroot${target}; echo x > ${target} && cat ${target}`],
        cwd: '/',
        timeoutMs: 300_000,
      });
      expect(r.status).toBe('exited');
      expect(r.output).toMatch(/Read-only file system/);
      // The second write lands in the guest's tmpfs overlay: readable there, absent here.
      expect(r.output.trimEnd().split('\n').at(-1)).toBe('x');
      expect(existsSync(target)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a crashing test process with its signal', async () => {
    const r = await boot({ kernel, argv: ['bash', '-c', 'echo before; kill -SEGV $$'], cwd: '/', timeoutMs: 300_000 });
    expect(r).toMatchObject({ status: 'exited', exitCode: 128 + 11 });
    expect(r.output.startsWith('before\n')).toBe(true);
  });

  it('kills a hung guest at the timeout and leaves no qemu behind', async () => {
    const r = await boot({ kernel, argv: ['sleep', '3600'], cwd: '/', timeoutMs: 15_000 });
    expect(r).toMatchObject({ status: 'timeout', exitCode: null });
    expect(runningVms()).toBe(0);
  });

  it('reports a kernel that does not boot, with qemu\'s message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmtest-e2e-'));
    try {
      const broken = join(dir, 'vmlinux');
      writeFileSync(broken, Buffer.alloc(1 << 20, 0x5a));
      copyFileSync(kernel.initrd, join(dir, 'initrd.gz'));
      const r = await boot({ kernel: { ...kernel, vmlinux: broken, initrd: join(dir, 'initrd.gz') }, argv: ['true'], cwd: '/', timeoutMs: 120_000 });
      expect(r.status).toBe('vm-failed');
      expect(r.console).toMatch(/qemu.*kernel/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kills qemu when the runner gets SIGTERM, and removes its per-boot directory', async () => {
    const bootDirs = (): string[] => readdirSync(tmpdir()).filter((d) => d.startsWith('vmtest-'));
    const dirsBefore = bootDirs();
    const cli = spawn(process.execPath, [join(ROOT, 'tools/vmtest/dist/cli.js'), '--kernel', NAME, '--command', 'sleep 3600'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BPFKIT_VMCACHE: CACHE },
    });
    let log = '';
    cli.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const deadline = Date.now() + 120_000;
    let qemu: number[] = [];
    while (qemu.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      qemu = childrenOf(cli.pid!).filter((p) => readFileSync(`/proc/${p}/comm`, 'utf8').startsWith('qemu-system'));
    }
    expect(qemu, log).toHaveLength(1);
    const exited = new Promise<number | null>((r) => cli.on('close', (code) => r(code)));
    cli.kill('SIGTERM');
    expect(await exited).toBe(143);
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(qemu[0]!)).toBe(false);
    expect(bootDirs()).toEqual(dirsBefore);
  });
});
