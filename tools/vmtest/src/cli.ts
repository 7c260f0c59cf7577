/**
 * pnpm test:kernels [--kernel 6.1] [--kernel 6.12] [--kernel host|5.10|trixie|sid] [--packages errors,sys]
 *                   [--command "shell command"]
 *                   [--timeout 2400] [--pool forks|threads] [--cache dir] [--memory 1G]
 *                   [--write-readme] [--readme-only] [--prepare-only]
 *
 * For each kernel: resolve the current Debian package, prepare it once into the cache, boot it
 * and run the selected packages' real-kernel tests in one vitest process with BPFKIT_STRICT=1;
 * then write the matrix (tools/vmtest/results/matrix.json), this run's totals
 * (results/last-run.json), and with --write-readme the README's compatibility section.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { constants as osConstants, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Apt } from './apt.js';
import { DEFAULT_KERNELS, kernelSpec } from './kernels.js';
import { type KernelRun, failures, renderReadmeSection, sumTotals, totals, updateReadme } from './matrix.js';
import { prepareKernel, resolveKernel } from './prepare.js';
import { REPORT_FILE, type SuiteReport } from './report.js';
import { VmError, boot, interrupted, tail, withGroup } from './vm.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TOOL = join(ROOT, 'tools/vmtest');
const RESULTS = join(TOOL, 'results');

function log(msg: string): void {
  process.stderr.write(`vmtest: ${msg}\n`);
}

/**
 * The packages whose tests meet the kernel (bpf(), tracefs, netlink, kernel BTF), the demo's
 * end-to-end run and this tool's guest checks; errors and elf are pure TypeScript, the same on
 * every kernel (--packages adds them).
 */
export const DEFAULT_PACKAGES = ['sys', 'tracefs', 'btf', 'ebpf', 'netlink', 'link', 'demo', 'vmtest'];

const TOP_LEVEL: Record<string, string> = { vmtest: 'tools/vmtest', demo: 'apps/demo' };

/** Package directory (relative to the root) of a --packages name: `sys`, `demo`, `vmtest` or a path. */
export function packageDir(name: string): string {
  return name.includes('/') ? name : (TOP_LEVEL[name] ?? `packages/${name}`);
}

/** Those of `dirs` that have a test script and at least one test file. */
export function withTests(root: string, dirs: string[]): string[] {
  const hasTests = (dir: string): boolean =>
    ['src', 'test'].some((d) => {
      const p = join(root, dir, d);
      return existsSync(p) && readdirSync(p, { recursive: true }).some((f) => /\.test\.[cm]?[jt]s$/.test(String(f)));
    });
  return dirs.filter((d) => {
    const manifest = join(root, d, 'package.json');
    return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test && hasTests(d);
  });
}

/** Node under TCG runs JS about 30x slower than on the host: per-test timeouts grow to match. */
const GUEST_TIMEOUTS = ['--testTimeout=600000', '--hookTimeout=600000'];

function suiteArgv(poolArgs: string[]): string[] {
  return [
    process.execPath,
    join(ROOT, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--config', join(TOOL, 'vitest.guest.config.ts'),
    '--reporter', join(TOOL, 'dist/reporter.js'),
    '--reporter', 'default',
    ...poolArgs,
  ];
}

function suiteEnv(packages: string[], guest: boolean): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BPFKIT_STRICT: '1',
    BPFKIT_VMTEST_SUITE: '1',
    BPFKIT_VMTEST_PACKAGES: packages.join(','),
    BPFKIT_VMTEST_ROOT: ROOT,
    ...(guest ? { BPFKIT_VMTEST_GUEST: '1' } : {}),
    NO_COLOR: '1',
  };
}

function parseReport(text: string | undefined): SuiteReport | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as SuiteReport);
}

function finish(
  name: string,
  rel: string,
  packageVersion: string | undefined,
  started: number,
  exitCode: number | null,
  timedOut: boolean,
  report: SuiteReport | undefined,
  output: string,
): KernelRun {
  const status = timedOut ? 'timeout' : report ? 'ok' : exitCode !== null && exitCode > 128 ? 'crashed' : 'no-report';
  return {
    name,
    release: report?.release ?? rel,
    ...(packageVersion ? { packageVersion } : {}),
    status,
    exitCode,
    durationMs: Date.now() - started,
    date: new Date().toISOString(),
    ...(report ? { report } : {}),
    ...(status !== 'ok' || exitCode !== 0 ? { logTail: tail(output, 40) } : {}),
  };
}

async function runHost(packages: string[], poolArgs: string[], timeoutMs: number): Promise<KernelRun> {
  const started = Date.now();
  const out = mkdtempSync(join(tmpdir(), 'vmtest-host-'));
  const argv = suiteArgv(poolArgs);
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...suiteEnv(packages, false), BPFKIT_VMTEST_OUT: out, BPFKIT_VMTEST_KERNEL: 'host' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const take = (chunk: Buffer): void => {
    output += chunk.toString();
    process.stdout.write(chunk);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  let timedOut = false;
  const code = await withGroup(child, async () => {
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, timeoutMs);
    const c = await new Promise<number | null>((res) => child.on('close', (c_, sig) => res(c_ ?? (sig ? 128 + osConstants.signals[sig] : null))));
    clearTimeout(timer);
    return c;
  });
  const reportPath = join(out, REPORT_FILE);
  const report = parseReport(existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : undefined);
  rmSync(out, { recursive: true, force: true });
  return finish('host', release(), undefined, started, code, timedOut, report, output);
}

async function runKernel(name: string, cacheDir: string, packages: string[], poolArgs: string[], opts: Options): Promise<KernelRun> {
  const started = Date.now();
  const spec = kernelSpec(name);
  const apt = new Apt(cacheDir, spec);
  const resolved = resolveKernel(apt, spec);
  const kernel = prepareKernel(apt, resolved, cacheDir, log);
  log(`${name}: prepared ${kernel.release} in ${((Date.now() - started) / 1000).toFixed(1)} s${opts.prepareOnly ? '' : '; booting'}`);
  if (opts.prepareOnly) {
    return { name, release: kernel.release, packageVersion: kernel.packageVersion, status: 'ok', exitCode: 0, durationMs: 0, date: new Date().toISOString() };
  }
  const bootStarted = Date.now();
  const r = await boot({
    kernel,
    argv: [...suiteArgv(poolArgs), ...GUEST_TIMEOUTS],
    cwd: ROOT,
    env: suiteEnv(packages, true),
    timeoutMs: opts.timeoutMs,
    memory: opts.memory,
    onOutput: (chunk) => process.stdout.write(chunk),
  });
  const report = parseReport(r.files.get(REPORT_FILE));
  const run = finish(name, kernel.release, kernel.packageVersion, bootStarted, r.exitCode, r.status === 'timeout', report, r.output);
  if (r.status === 'exited' && report) return run;
  const why =
    r.status === 'timeout'
      ? `timed out after ${opts.timeoutMs / 1000} s`
      : r.status === 'vm-failed'
        ? 'the VM gave no exit status (the kernel did not boot, or the init failed)'
        : `the test process ${r.exitCode! > 128 ? `died of signal ${r.exitCode! - 128}` : `exited ${r.exitCode}`} without a report`;
  log(`${name} (${kernel.release}): ${why}\n--- output tail ---\n${tail(r.output)}\n--- console tail ---\n${tail(r.console)}`);
  return {
    ...run,
    ...(r.status === 'vm-failed' ? { status: 'vm-failed' as const } : {}),
    logTail: `${why}\n${tail(r.output, 20)}\n--- console ---\n${tail(r.console, 20)}`,
  };
}

interface Options {
  timeoutMs: number;
  memory: string;
  prepareOnly: boolean;
}

/** --command: boots each kernel and runs one shell command there instead of the suites. */
async function runCommand(kernels: string[], cacheDir: string, command: string, opts: Options): Promise<number> {
  let worst = 0;
  for (const name of kernels) {
    const spec = kernelSpec(name);
    const apt = new Apt(cacheDir, spec);
    const kernel = prepareKernel(apt, resolveKernel(apt, spec), cacheDir, log);
    const r = await boot({
      kernel,
      argv: ['bash', '-c', command],
      cwd: process.cwd(),
      timeoutMs: opts.timeoutMs,
      memory: opts.memory,
      onOutput: (chunk) => process.stdout.write(chunk),
    });
    const code = r.status === 'exited' ? r.exitCode! : r.status === 'timeout' ? 124 : 125;
    if (r.status !== 'exited') log(`${name} (${kernel.release}): ${r.status}\n--- console tail ---\n${tail(r.console)}`);
    log(`${name} (${kernel.release}): exit ${code} after ${(r.durationMs / 1000).toFixed(1)} s`);
    worst = Math.max(worst, code);
  }
  return worst;
}

function loadMatrix(): KernelRun[] {
  const p = join(RESULTS, 'matrix.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { runs: KernelRun[] }).runs : [];
}

function writeReadme(runs: KernelRun[]): void {
  if (runs.length === 0) throw new Error('results/matrix.json holds no run to render');
  const readme = join(ROOT, 'README.md');
  writeFileSync(readme, updateReadme(readFileSync(readme, 'utf8'), renderReadmeSection(runs)));
  log(`README.md: kernel compatibility section updated (${runs.map((r) => r.name).join(', ')})`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kernel: { type: 'string', multiple: true },
      packages: { type: 'string' },
      timeout: { type: 'string', default: '2400' },
      memory: { type: 'string', default: '1G' },
      pool: { type: 'string', default: 'forks' },
      isolate: { type: 'boolean', default: false },
      cache: { type: 'string', default: process.env.BPFKIT_VMCACHE ?? join(ROOT, '.vmcache') },
      'write-readme': { type: 'boolean', default: false },
      'prepare-only': { type: 'boolean', default: false },
      'readme-only': { type: 'boolean', default: false },
      command: { type: 'string' },
    },
  });
  if (values['readme-only']) {
    writeReadme(loadMatrix());
    return 0;
  }
  if (values.packages && values['write-readme']) throw new Error('--write-readme renders the default suites: drop --packages');
  const kernels = values.kernel ?? [...DEFAULT_KERNELS];
  for (const k of kernels) if (k !== 'host') kernelSpec(k);
  const requested = values.packages ? values.packages.split(',').map(packageDir) : DEFAULT_PACKAGES.map(packageDir);
  const packages = withTests(ROOT, requested);
  const untested = requested.filter((p) => !packages.includes(p));
  if (values.packages && untested.length) throw new Error(`no tests in ${untested.join(', ')}`);
  if (packages.length === 0) throw new Error(`none of ${requested.join(', ')} has tests yet`);
  if (untested.length) log(`no tests yet in ${untested.join(', ')}`);
  // One worker process (or thread) runs every file in turn; --isolate gives each file a fresh
  // one instead, as the host's npm test does, at ~2-3 s of node start-up per file under TCG.
  const poolArgs = [`--pool=${values.pool}`, '--maxWorkers=1', '--no-file-parallelism', ...(values.isolate ? [] : ['--no-isolate'])];
  const opts: Options = { timeoutMs: Number(values.timeout) * 1000, memory: values.memory, prepareOnly: values['prepare-only'] };
  const cacheDir = resolve(values.cache);
  if (!existsSync(join(TOOL, 'dist/reporter.js'))) throw new Error('tools/vmtest is not built: run pnpm --filter @bpfkit/vmtest build');

  if (values.command !== undefined) return runCommand(kernels, cacheDir, values.command, opts);

  log(`kernels: ${kernels.join(', ')}; packages: ${packages.join(', ')}; cache: ${cacheDir}`);
  mkdirSync(RESULTS, { recursive: true });
  rmSync(join(RESULTS, 'last-run.json'), { force: true });
  const runs: KernelRun[] = [];
  for (const name of kernels) {
    const started = Date.now();
    let run: KernelRun;
    try {
      run = name === 'host' ? await runHost(packages, poolArgs, opts.timeoutMs) : await runKernel(name, cacheDir, packages, poolArgs, opts);
    } catch (err) {
      const msg = err instanceof VmError ? err.message : `[${name}] ${(err as Error).message}`;
      log(msg);
      run = { name, release: '?', status: 'vm-failed', exitCode: null, durationMs: Date.now() - started, date: new Date().toISOString(), logTail: msg };
    }
    runs.push(run);
    if (opts.prepareOnly) {
      if (run.status !== 'ok') return 1;
      continue;
    }
    const t = totals(run);
    log(`${name} (${run.release}): ${run.status}, exit ${run.exitCode}, ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped in ${(run.durationMs / 1000).toFixed(1)} s`);
    for (const f of failures(run)) log(`${name}: FAILED ${f}`);
  }
  if (opts.prepareOnly) return 0;

  const sum = sumTotals(runs);
  writeFileSync(join(RESULTS, 'last-run.json'), JSON.stringify({ kernels, ...sum }, null, 1) + '\n');
  // The matrix compares kernels on the same suites: a --packages subset does not replace a column.
  if (values.packages) {
    log('results/matrix.json left as it was: --packages runs a subset of the suites');
  } else {
    const merged = [...loadMatrix().filter((r) => !kernels.includes(r.name)), ...runs];
    const order = ['host', '5.10', '6.1', '6.12', 'trixie', 'sid'];
    merged.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    writeFileSync(join(RESULTS, 'matrix.json'), JSON.stringify({ runs: merged }, null, 1) + '\n');
    if (values['write-readme']) writeReadme(merged);
  }
  console.log(`kernels ${kernels.join(', ')}: ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
  return sum.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(interrupted() ?? code),
  (err: unknown) => {
    log((err as Error).message);
    process.exit(interrupted() ?? 2);
  },
);
