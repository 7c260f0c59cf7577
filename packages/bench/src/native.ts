import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfError } from '@bpfkit/errors';
import type { Plan } from './sampler.js';
import type { RoundSamples } from './stats.js';

const SOURCE = fileURLToPath(new URL('../native/nativebench.c', import.meta.url));

/** A C case: the name nativebench knows and its key=value arguments. */
export interface NativeCase {
  name: string;
  args?: Record<string, string | number>;
}

/** Builds nativebench with gcc (kernel UAPI headers only) into a fresh temp dir; returns the binary. */
export function buildNative(dir = mkdtempSync(join(tmpdir(), 'bpfkit-bench-'))): { binary: string; dir: string; compiler: string } {
  const binary = join(dir, 'nativebench');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', '-o', binary, SOURCE], { stdio: ['ignore', 'inherit', 'inherit'] });
  const compiler = execFileSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' }).trim();
  return { binary, dir, compiler: `gcc ${compiler}` };
}

/** One C batch in a fresh process: the same plan as the TS side; timings are taken inside the C process. */
export function runNative(binary: string, c: NativeCase, plan: Plan): RoundSamples {
  const args = Object.entries(c.args ?? {}).map(([k, v]) => `${k}=${v}`);
  const run = spawnSync(binary, [c.name, String(plan.samples), String(plan.batch), String(plan.warmup), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new BpfError(`C side of ${c.name} failed (${run.status ?? run.signal}): ${run.stderr.trim() || run.error?.message}`);
  const out = run.stdout;
  const r: RoundSamples = { cycle: [], attach: [] };
  for (const line of out.trim().split('\n')) {
    const [a, b] = line.split(' ');
    if (a === 'cold') r.cold = Number(b);
    else if (a === 'cpu') r.cpu = Number(b);
    else {
      r.cycle.push(Number(a));
      r.attach.push(Number(b));
    }
  }
  return r;
}
