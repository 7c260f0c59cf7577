import type { BenchCase, Target } from './cases.js';
import type { StallResult } from './stall.js';
import type { SideSummary } from './stats.js';

export interface CaseResult {
  id: string;
  group: string;
  label: string;
  plan: BenchCase['plan'];
  rounds: number;
  c?: SideSummary;
  ts?: SideSummary;
  reference?: SideSummary & { label: string };
  ratio?: { median: number; rounds: number[] };
  referenceRatio?: { median: number; rounds: number[] };
  target?: Target;
  /** true/false against the target; undefined when there is no target or no figure. */
  meets?: boolean;
  missing?: string;
  error?: string;
  note?: string;
}

export interface Machine {
  date: string;
  nproc: number;
  cpu: string;
  kernel: string;
  node: string;
  compiler: string;
  /** 1-minute load average at the start and at the end: how much the shared machine was doing besides. */
  load: [number, number];
}

export interface Results {
  machine: Machine;
  durationS: number;
  cases: CaseResult[];
  stall: StallResult;
}

/** ns with a unit that keeps 3 significant digits. */
export function fmt(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return '–';
  const [v, u] = ns >= 1e9 ? [ns / 1e9, 's'] : ns >= 1e6 ? [ns / 1e6, 'ms'] : ns >= 1e3 ? [ns / 1e3, 'µs'] : [ns, 'ns'];
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${u}`;
}

const x = (r: number): string => `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
const spread = (xs: readonly number[], f: (n: number) => string): string => (xs.length ? `${f(Math.min(...xs))}–${f(Math.max(...xs))}` : '–');

/** Whether a case's figures meet its target (undefined when it has none or was not measured). */
export function meets(r: CaseResult): boolean | undefined {
  const t = r.target;
  if (!t || !r.ts) return undefined;
  const checks: boolean[] = [];
  if (t.maxRatio !== undefined && r.ratio) checks.push(r.ratio.median <= t.maxRatio);
  if (t.maxRefRatio !== undefined && r.referenceRatio) checks.push(r.referenceRatio.median <= t.maxRefRatio);
  if (t.maxNs !== undefined) checks.push(r.ts.median <= t.maxNs);
  return checks.length ? checks.every(Boolean) : undefined;
}

function row(r: CaseResult): string[] {
  if (r.missing || r.error) {
    return [r.label, r.c ? fmt(r.c.median) : '–', r.missing ?? `failed: ${r.error}`, '', '', '', '', r.target?.text ?? '', ''];
  }
  const ratio = r.ratio ? `${x(r.ratio.median)} (${spread(r.ratio.rounds, x)})` : '–';
  const ref = r.referenceRatio ? `; ${x(r.referenceRatio.median)} of ${r.reference!.label}` : '';
  const verdict = r.meets === undefined ? '' : r.meets ? 'meets' : '**misses**';
  const cpu = r.ts?.cpu !== undefined && r.c?.cpu !== undefined ? `${fmt(r.ts.cpu)} / ${fmt(r.c.cpu)}` : '–';
  return [r.label, fmt(r.c?.median), fmt(r.ts?.median), fmt(r.ts?.p99), spread(r.ts!.rounds, fmt), ratio + ref, cpu, r.target?.text ?? '', verdict];
}

const HEADER = ['case', 'C median', 'TS median', 'TS p99', 'TS spread (round medians)', 'TS / C (per-round spread)', 'CPU per cycle TS / C', 'target', ''];

/** The one table `pnpm bench` prints, as Markdown (readable in a terminal too). */
export function markdownTable(res: Results): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  let group = '';
  for (const r of res.cases) {
    if (r.group !== group) {
      group = r.group;
      lines.push(`| **${group}** |${' |'.repeat(HEADER.length - 1)}`);
    }
    lines.push(`| ${row(r).join(' | ')} |`);
  }
  const s = res.stall;
  lines.push(`| **event-loop stall, closing ${s.links} tracepoint perf-event links (${s.tracepoint})** |${' |'.repeat(HEADER.length - 1)}`);
  if (s.missing) lines.push(`| close() loop vs closeAll() | – | ${s.missing} | | | | | ≤ ${fmt(s.targetNs)} with closeAll() | |`);
  for (const v of s.variants) {
    const isAll = v.label === 'closeAll()';
    const verdict = isAll ? (v.maxStallNs <= s.targetNs ? 'meets' : '**misses**') : '';
    lines.push(`| ${v.label}: max stall (total ${fmt(v.totalNs)}) | – | ${fmt(v.maxStallNs)} | ${fmt(v.p99StallNs)} (p99) | | | | ${isAll ? `≤ ${fmt(s.targetNs)}` : ''} | ${verdict} |`);
  }
  return lines.join('\n');
}

export function machineLine(m: Machine): string {
  return `${m.date}, ${m.nproc} × ${m.cpu}, Linux ${m.kernel}, Node ${m.node}, ${m.compiler}, load average ${m.load[0].toFixed(1)} → ${m.load[1].toFixed(1)}`;
}
