import { release } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { features, isNotSupported, type FeatureReport } from '@bpfkit/link';
import { Cleanup } from './cleanup.js';
import { Env } from './env.js';
import { KINDS } from './kinds/index.js';
import type { Attached, DemoKind } from './kinds/kind.js';
import { missingExports } from './library.js';
import type { DemoOptions } from './options.js';
import { jsonResult, LiveTable, tableLines, type RowResult } from './table.js';

/** Between two rounds of triggers: often enough to look live, rarely enough to stay light. */
const TICK_MS = 250;
const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

interface Active {
  kind: DemoKind<Attached>;
  state: Attached;
  result: RowResult;
}

/** The rows --only names (a row name, its features() kind, or the part before its slash). */
export function selectKinds(only: readonly string[] | undefined, kinds: readonly DemoKind<Attached>[] = KINDS): DemoKind<Attached>[] {
  if (only === undefined) return [...kinds];
  const matches = (k: DemoKind<Attached>, name: string) => k.name === name || k.feature === name || k.name.split('/')[0] === name;
  const unknown = only.filter((name) => !kinds.some((k) => matches(k, name)));
  if (unknown.length > 0) throw new Error(`--only: no row named ${unknown.join(', ')}; rows: ${kinds.map((k) => k.name).join(', ')}`);
  return kinds.filter((k) => only.some((name) => matches(k, name)));
}

function initialResult(kind: DemoKind<Attached>, report: Map<string, FeatureReport>): RowResult {
  const result: RowResult = { kind: kind.name, feature: kind.feature, hook: kind.hook, status: 'attaching' };
  const missing = missingExports(kind.needs);
  const feature = report.get(kind.feature);
  if (missing.length > 0) return { ...result, status: 'not implemented', reason: `no ${missing.join(', ')}` };
  if (!feature?.supported) return { ...result, status: 'not supported', reason: feature?.reason ?? `features() has no ${kind.feature}` };
  return result;
}

function settleError(result: RowResult, err: unknown): void {
  result.status = isNotSupported(err) ? 'not supported' : 'failed';
  result.reason = (err as Error).message ?? String(err);
}

function updateCount(a: Active): void {
  try {
    a.result.hits = a.kind.count(a.state);
    if (a.kind.expected) a.result.expected = a.kind.expected(a.state);
    if (a.result.status === 'waiting' && a.result.hits > 0n) a.result.status = 'fired';
  } catch (err) {
    settleError(a.result, err);
  }
}

function finalStatus(a: Active): void {
  if (a.result.status === 'failed' || a.result.status === 'not supported') return;
  const { hits = 0n, expected } = a.result;
  if (hits === 0n) {
    a.result.status = 'failed';
    a.result.reason = 'attached, but the hook never ran the program';
  } else if (expected !== undefined && hits !== expected) {
    a.result.status = 'failed';
    a.result.reason = `counted ${hits} runs, but the demo made ${expected} calls`;
  } else {
    a.result.status = 'fired';
  }
}

/** Resolves when `work` settles or the run is interrupted, whichever is first. */
function untilAborted(work: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function printFeatures(json: boolean): number {
  const report = features();
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...report.map((r) => r.kind.length));
  for (const r of report) {
    const what = r.supported ? `supported (${r.mechanism})` : `not supported: ${r.reason}`;
    process.stdout.write(`${r.kind.padEnd(width)}  ${what}\n`);
  }
  return 0;
}

/** The demo: attach every selected row, trigger them for the duration, report, clean up. Returns the exit status. */
export async function run(options: DemoOptions): Promise<number> {
  if (options.features) return printFeatures(options.json);
  let kinds: DemoKind<Attached>[];
  try {
    kinds = selectKinds(options.only);
  } catch (err) {
    process.stderr.write(`bpfkit-demo: ${(err as Error).message}\n`);
    return 2;
  }

  const abort = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  // Stays installed through cleanup, so a second Ctrl-C cannot cut it short.
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let fatal: unknown;
  // An error thrown outside the awaited work (an 'error' event of a socket, say) ends the run
  // through the same cleanup instead of killing the process with everything still in place.
  const onFatal = (err: unknown) => {
    fatal ??= err;
    abort.abort();
  };
  process.on('uncaughtException', onFatal);

  const cleanup = new Cleanup();
  const env = new Env(cleanup, abort.signal);
  const report = new Map(features().map((r) => [r.kind as string, r]));
  const rows = kinds.map((k) => initialResult(k, report));
  const live = !options.json && process.stdout.isTTY ? new LiveTable(process.stdout) : undefined;
  const draw = () => live?.draw(rows);
  const active: Active[] = [];
  let cleanupFailures: string[] = [];
  if (!options.json) process.stdout.write(`bpfkit demo on Linux ${release()}: ${rows.length} row${rows.length === 1 ? '' : 's'}, triggering for ${options.durationMs / 1000}s\n\n`);

  try {
    draw();
    for (const [i, kind] of kinds.entries()) {
      const result = rows[i]!;
      if (abort.signal.aborted) break;
      if (result.status !== 'attaching') continue;
      try {
        const state = await kind.setup(env);
        Object.assign(result, { status: 'waiting', mechanism: state.mechanism, hits: 0n });
        active.push({ kind, state, result });
      } catch (err) {
        settleError(result, err);
      }
      draw();
    }
    const deadline = Date.now() + options.durationMs;
    while (!abort.signal.aborted && active.length > 0) {
      for (const a of active) {
        if (abort.signal.aborted) break;
        if (a.result.status !== 'waiting' && a.result.status !== 'fired') continue;
        try {
          await untilAborted(Promise.resolve().then(() => a.kind.trigger(a.state, env)), abort.signal);
        } catch (err) {
          settleError(a.result, err);
          a.result.reason = `trigger: ${a.result.reason}`;
        }
      }
      for (const a of active) if (a.result.status === 'waiting' || a.result.status === 'fired') updateCount(a);
      draw();
      if (Date.now() >= deadline) break;
      await sleep(TICK_MS, undefined, { signal: abort.signal }).catch(() => undefined);
    }
    for (const a of active) finalStatus(a);
  } catch (err) {
    fatal ??= err;
  } finally {
    for (const a of active) {
      try {
        a.kind.cleanup(a.state);
      } catch (err) {
        cleanupFailures.push(`${a.kind.name}: ${(err as Error).message}`);
      }
    }
    cleanupFailures = [...cleanupFailures, ...(await cleanup.run())];
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('uncaughtException', onFatal);
  }

  const failed = rows.some((r) => r.status === 'failed');
  if (options.json) {
    const meta = { kernel: release(), durationMs: options.durationMs, ok: !failed && !fatal && !interrupted, ...(interrupted ? { interrupted } : {}) };
    process.stdout.write(`${jsonResult(rows, meta)}\n`);
  } else if (live) {
    draw();
  } else {
    process.stdout.write(`${tableLines(rows).join('\n')}\n`);
  }
  if (fatal) process.stderr.write(`bpfkit-demo: ${(fatal as Error).stack ?? String(fatal)}\n`);
  for (const f of cleanupFailures) process.stderr.write(`bpfkit-demo: cleanup failed: ${f}\n`);
  if (interrupted && !fatal) return 128 + SIGNAL_NUMBERS[interrupted]!;
  return failed || fatal || cleanupFailures.length > 0 ? 1 : 0;
}
