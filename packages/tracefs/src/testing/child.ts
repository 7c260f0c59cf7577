import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const SRC = join(dirname(new URL(import.meta.url).pathname), '..');

/**
 * This package's source, transpiled to plain ES modules in a temporary directory, so that a
 * separate node process can run it (tests run the TypeScript source; node 20 cannot).
 */
export interface TranspiledPackage {
  /** file: URL of the package's index.js. */
  indexUrl: string;
  dir: string;
  remove(): void;
}

export function transpilePackage(): TranspiledPackage {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-tracefs-child-'));
  const errorsPackage = createRequire(import.meta.url).resolve('@bpfkit/errors/package.json');
  const errorsUrl = pathToFileURL(join(dirname(errorsPackage), 'dist', 'index.js')).href;
  for (const file of readdirSync(SRC)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const { outputText } = ts.transpileModule(readFileSync(join(SRC, file), 'utf8'), {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    });
    writeFileSync(join(dir, file.replace(/\.ts$/, '.js')), outputText.replaceAll("'@bpfkit/errors'", `'${errorsUrl}'`));
  }
  return {
    indexUrl: pathToFileURL(join(dir, 'index.js')).href,
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The script a child runs: it creates an entry and a return uprobe on `target` at `offset`,
 * prints `{"groups":[...]}` and then either waits for "close" on stdin (closing its events and
 * exiting) or, with "drop", drops them and runs the garbage collector until the finalizer has
 * removed them, printing `{"gone":true|false}`.
 */
const CHILD_SCRIPT = `
import { readFileSync } from 'node:fs';
const [indexUrl, target, offset, mode] = process.argv.slice(2);
const t = await import(indexUrl);
let events = [
  t.createUprobeEvent({ path: target, offset: BigInt(offset), symbol: 'child_entry' }),
  t.createUprobeEvent({ path: target, offset: BigInt(offset), symbol: 'child_return', ret: true }),
];
const groups = events.map((e) => e.group);
process.stdout.write(JSON.stringify({ pid: process.pid, groups }) + '\\n');
if (mode === 'drop') {
  events = undefined;
  const listed = () => readFileSync(t.tracefsPath() + '/uprobe_events', 'utf8');
  let gone = false;
  for (let i = 0; i < 50 && !gone; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 20));
    gone = groups.every((g) => !listed().includes(g + '/'));
  }
  process.stdout.write(JSON.stringify({ gone }) + '\\n');
} else {
  process.stdin.once('data', () => {
    for (const e of events) e.close();
    process.stdout.write(JSON.stringify({ closed: true }) + '\\n');
    process.exit(0);
  });
}
`;

export interface Child {
  process: ChildProcess;
  pid: number;
  groups: string[];
  /** The next JSON line the child prints. */
  nextMessage(): Promise<Record<string, unknown>>;
  /** Resolves when the child has exited and been reaped. */
  exited: Promise<void>;
}

/** Starts a node process that creates two uprobe events with the transpiled package. */
export async function spawnEventChild(
  pkg: TranspiledPackage,
  target: string,
  offset: bigint,
  mode: 'hold' | 'drop',
): Promise<Child> {
  const script = join(pkg.dir, 'child.mjs');
  writeFileSync(script, CHILD_SCRIPT);
  const args = mode === 'drop' ? ['--expose-gc'] : [];
  const proc = spawn(process.execPath, [...args, script, pkg.indexUrl, target, offset.toString(), mode], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffered = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const nextMessage = (): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const take = (line: string) => resolve(JSON.parse(line) as Record<string, unknown>);
      const queued = lines.shift();
      if (queued !== undefined) return take(queued);
      waiters.push(take);
      void exited.then(() => reject(new Error(`child exited before printing; stderr: ${stderr}`)));
    });
  const first = await nextMessage();
  return { process: proc, pid: first.pid as number, groups: first.groups as string[], nextMessage, exited };
}
