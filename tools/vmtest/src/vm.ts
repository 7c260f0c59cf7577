/**
 * Boots a prepared kernel under qemu (TCG: KVM does not work on these hosts) with the host's /
 * as the guest's read-only root and runs one bash script in it, in the host's working directory
 * with the host's environment. qemu runs in its own process group, which is killed on every way
 * out: normal exit, timeout, error, and SIGINT/SIGTERM of the runner.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { PreparedKernel } from './prepare.js';

export interface BootOptions {
  readonly kernel: PreparedKernel;
  /** The guest command, run by the host's bash as root in the chroot onto the overlay root. */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Environment of the guest command (default: the runner's). */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly memory?: string;
  readonly smp?: number;
  /** The qemu binary (a name looked up in PATH, or a path). */
  readonly qemu?: string;
  /** Extra kernel command-line parameters. */
  readonly append?: string;
  /** Called with each chunk of the guest command's output as it arrives. */
  readonly onOutput?: (chunk: string) => void;
}

export type BootStatus = 'exited' | 'timeout' | 'vm-failed';

export interface BootResult {
  readonly kernel: string;
  /** exited: the guest command finished (see exitCode); timeout: killed; vm-failed: no status came back. */
  readonly status: BootStatus;
  /** The guest command's exit status (128+n for signal n), null unless status is exited. */
  readonly exitCode: number | null;
  /** The guest command's stdout and stderr. */
  readonly output: string;
  /** Kernel and init messages (the guest's second serial port), and qemu's own stderr. */
  readonly console: string;
  /** Files the guest wrote into $BPFKIT_VMTEST_OUT, by name. */
  readonly files: ReadonlyMap<string, string>;
  readonly durationMs: number;
}

export class VmError extends Error {
  constructor(readonly kernel: string, message: string) {
    super(`[${kernel}] ${message}`);
    this.name = 'VmError';
  }
}

const groups = new Set<number>();
/** Children not yet reaped: on a signal the runner waits for them, so no zombie outlives it. */
const unreaped = new Set<ChildProcess>();
/** Per-boot directories, removed on the way out even when a signal ends the runner. */
const bootDirs = new Set<string>();
let handlersInstalled = false;
let interruptCode: number | undefined;

/** 128+signal once the runner got SIGINT, SIGTERM or SIGHUP: its exit status from then on. */
export function interrupted(): number | undefined {
  return interruptCode;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
  groups.delete(pid);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    [...groups].forEach(killGroup);
    bootDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      interruptCode = code;
      [...groups].forEach(killGroup);
      const deadline = Date.now() + 3000;
      setInterval(() => {
        if (unreaped.size === 0 || Date.now() > deadline) process.exit(code);
      }, 20);
    });
  }
}

/** Runs `fn` with `child`'s process group killed on every way out of the runner, and after `fn`. */
export async function withGroup<T>(child: ChildProcess, fn: () => Promise<T>): Promise<T> {
  installHandlers();
  const pid = child.pid;
  if (pid !== undefined) {
    groups.add(pid);
    unreaped.add(child);
    child.on('exit', () => unreaped.delete(child));
  }
  try {
    return await fn();
  } finally {
    if (pid !== undefined) killGroup(pid);
  }
}

/** Number of process groups (qemu, host suites) this process has running: 0 after every boot. */
export function runningVms(): number {
  return groups.size;
}

export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter(Boolean).map((d) => join(d, name));
  return candidates.find((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The script the guest runs: the environment, the working directory, then exec of argv. */
export function guestScript(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const lines = ['#!/bin/bash'];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || ['SHLVL', '_', 'PWD', 'OLDPWD', 'TERM'].includes(k)) continue;
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  lines.push(`cd ${shellQuote(cwd)} || exit 125`, `exec ${argv.map(shellQuote).join(' ')}`);
  return lines.join('\n') + '\n';
}

/** The guest's exit status from its console log (`vmtest-rc=N`, written by the init). */
export function guestExitCode(consoleLog: string): number | null {
  const all = [...consoleLog.matchAll(/vmtest-rc=(\d+)/g)];
  return all.length ? Number(all[all.length - 1]![1]) : null;
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function boot(opts: BootOptions): Promise<BootResult> {
  const { kernel } = opts;
  const qemuName = opts.qemu ?? 'qemu-system-x86_64';
  const qemu = findExecutable(qemuName);
  if (!qemu) {
    throw new VmError(kernel.name, `${qemuName} not found in PATH: install it (apt-get install --no-install-recommends qemu-system-x86 busybox-static)`);
  }
  for (const f of [kernel.vmlinux, kernel.initrd]) {
    if (!existsSync(f)) throw new VmError(kernel.name, `${f} is missing: the kernel cache is incomplete, delete ${kernel.dir}`);
  }
  installHandlers();
  const tmp = mkdtempSync(join(tmpdir(), 'vmtest-'));
  bootDirs.add(tmp);
  const out = join(tmp, 'out');
  mkdirSync(out);
  const consolePath = join(tmp, 'console.log');
  const env = { ...(opts.env ?? process.env), BPFKIT_VMTEST_OUT: out, BPFKIT_VMTEST_KERNEL: kernel.name };
  writeFileSync(join(tmp, 'cmd.sh'), guestScript(opts.argv, opts.cwd, env));

  const append = [
    'console=ttyS1 panic=-1 quiet',
    kernel.lsm,
    `vmtest.cmd=${join(tmp, 'cmd.sh')}`,
    `vmtest.out=${out}`,
    `vmtest.kmods=${kernel.modules}`,
    opts.append ?? '',
  ].join(' ').trim();
  const args = [
    '-accel', 'tcg', '-cpu', 'max', '-m', opts.memory ?? '1G', '-smp', String(opts.smp ?? 1),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', kernel.vmlinux, '-initrd', kernel.initrd, '-append', append,
    '-serial', 'stdio', '-serial', `file:${consolePath}`,
    // readonly=on: qemu refuses every write to the host root, whatever the guest mounts.
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${out},mount_tag=vmout,security_model=none`,
  ];

  const started = Date.now();
  const child = spawn(qemu, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const stderr: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (raw: string) => {
    // The serial line carries stray NULs around power-off.
    const chunk = raw.replace(/\0/g, '');
    output.push(chunk);
    opts.onOutput?.(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));

  let timedOut = false;
  const spawnError = await withGroup(child, async () => {
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid);
    }, opts.timeoutMs);
    const err = await new Promise<Error | undefined>((resolve) => {
      child.on('error', (e) => resolve(e));
      child.on('close', () => resolve(undefined));
    });
    clearTimeout(timer);
    return err;
  });
  if (spawnError) {
    rmSync(tmp, { recursive: true, force: true });
    bootDirs.delete(tmp);
    throw new VmError(kernel.name, `could not start ${qemu}: ${spawnError.message}`);
  }

  const consoleLog = (existsSync(consolePath) ? readFileSync(consolePath, 'utf8') : '') + stderr.join('');
  const files = new Map<string, string>();
  for (const name of readdirSync(out)) files.set(name, readFileSync(join(out, name), 'utf8'));
  rmSync(tmp, { recursive: true, force: true });
  bootDirs.delete(tmp);

  const exitCode = timedOut ? null : guestExitCode(consoleLog);
  return {
    kernel: kernel.name,
    status: timedOut ? 'timeout' : exitCode === null ? 'vm-failed' : 'exited',
    exitCode,
    output: output.join(''),
    console: consoleLog,
    files,
    durationMs: Date.now() - started,
  };
}
