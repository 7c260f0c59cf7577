import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built demo: the tests run what `npm run demo` runs. */
export const DEMO_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface DemoRun {
  child: ChildProcess;
  /** Resolves when it has exited. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `command` (default: node and the built demo) with `args`, collecting its output. */
export function startDemo(args: string[], command: string[] = [process.execPath, DEMO_MAIN]): DemoRun {
  const child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export interface JsonRow {
  kind: string;
  feature: string;
  status: 'fired' | 'failed' | 'not supported' | 'not implemented';
  mechanism: string | null;
  hits: number | null;
  expected?: number;
  reason?: string;
  hook: string;
}

export interface JsonResult {
  kernel: string;
  ok: boolean;
  rows: JsonRow[];
}
