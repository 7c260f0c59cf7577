/**
 * The compatibility matrix: one column per kernel, one row per test file (each link test file is
 * one attach kind), each cell passed / skipped with the missing feature / failed. Rendered as
 * JSON and as the Markdown table in the root README between the kernel-matrix markers.
 */
import type { SuiteReport, TestRecord } from './report.js';

export interface KernelRun {
  /** The `--kernel` name, or "host". */
  readonly name: string;
  readonly release: string;
  /** The Debian package version (absent for the host). */
  readonly packageVersion?: string;
  /** What happened to the run: ok (the suite finished, whatever its tests did), or why not. */
  readonly status: 'ok' | 'timeout' | 'vm-failed' | 'crashed' | 'no-report';
  readonly exitCode: number | null;
  readonly durationMs: number;
  readonly date: string;
  readonly report?: SuiteReport;
  /** The log tail kept for a run that did not finish normally. */
  readonly logTail?: string;
}

export interface Cell {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Distinct skip notes. */
  readonly skips: readonly string[];
}

export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

/** Row name of a test file: `packages/link/src/kprobe.test.ts` -> `link/kprobe`. */
export function rowName(file: string): string {
  const m = /^(?:packages|tools|apps)\/([^/]+)\/(?:.*\/)?([^/]+?)\.test\.[cm]?[jt]s$/.exec(file);
  return m ? `${m[1]}/${m[2]}` : file.replace(/\.test\.[cm]?[jt]s$/, '');
}

export function cells(report: SuiteReport): Map<string, Cell> {
  const byRow = new Map<string, TestRecord[]>();
  for (const t of report.tests) {
    const row = rowName(t.file);
    byRow.set(row, [...(byRow.get(row) ?? []), t]);
  }
  const out = new Map<string, Cell>();
  for (const [row, tests] of byRow) {
    out.set(row, {
      passed: tests.filter((t) => t.state === 'passed').length,
      failed: tests.filter((t) => t.state === 'failed').length,
      skipped: tests.filter((t) => t.state === 'skipped').length,
      skips: [...new Set(tests.filter((t) => t.state === 'skipped' && t.note).map((t) => t.note!))],
    });
  }
  for (const { file } of report.fileErrors) {
    const row = rowName(file);
    const c = out.get(row) ?? { passed: 0, failed: 0, skipped: 0, skips: [] };
    out.set(row, { ...c, failed: c.failed + 1 });
  }
  return out;
}

/**
 * What a run adds to CI's "N passed, N failed" line. A run that did not finish, a test file
 * that failed to load, an unhandled error or a non-zero exit without a failed test each count
 * as one failure, so no broken kernel can pass silently.
 */
export function totals(run: KernelRun): Totals {
  if (!run.report) return { passed: 0, failed: 1, skipped: 0 };
  const t = { passed: 0, failed: 0, skipped: 0 };
  for (const test of run.report.tests) t[test.state] += 1;
  t.failed += run.report.fileErrors.length + run.report.unhandledErrors.length;
  if (run.status !== 'ok' || (run.exitCode !== 0 && t.failed === 0)) t.failed += 1;
  return t;
}

/** One line per failure that totals() counts, for the log (CI shows only its tail). */
export function failures(run: KernelRun): string[] {
  if (!run.report) return [`${run.status}: ${firstLine(run.logTail)}`];
  const out = run.report.tests.filter((t) => t.state === 'failed').map((t) => `${t.file} > ${t.name}: ${firstLine(t.error)}`);
  for (const e of run.report.fileErrors) out.push(`${e.file}: ${firstLine(e.error)}`);
  for (const e of run.report.unhandledErrors) out.push(`unhandled: ${firstLine(e)}`);
  if (run.status !== 'ok' || (run.exitCode !== 0 && out.length === 0)) out.push(`${run.status}, exit ${run.exitCode}`);
  return out;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0]!.slice(0, 300);
}

export function sumTotals(runs: readonly KernelRun[]): Totals {
  return runs.map(totals).reduce((a, b) => ({ passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped }), {
    passed: 0,
    failed: 0,
    skipped: 0,
  });
}

/** Short form of a skip note: the feature.ts prefix dropped, cut at the first sentence. */
export function shortNote(note: string): string {
  const s = note.replace(/^kernel lacks it: /, '').split(/(?<=[^.]{12})\. /)[0]!.replace(/\s+/g, ' ').trim();
  return s.length > 90 ? `${s.slice(0, 87)}...` : s;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function renderCell(c: Cell | undefined): string {
  if (!c) return '–';
  const parts: string[] = [];
  if (c.failed) parts.push(`❌ ${c.failed} failed`);
  if (c.passed) parts.push(`✅ ${c.passed}`);
  if (c.skipped) parts.push(`⏭️ ${c.skipped} skipped${c.skips.length ? ` (${c.skips.map(shortNote).join('; ')})` : ''}`);
  return escapeCell(parts.join(', ') || 'no tests');
}

function columnHeader(run: KernelRun): string {
  return run.name === 'host' ? `host ${run.release}` : `${run.name} (${run.release})`;
}

function runProblem(run: KernelRun): string | undefined {
  if (run.status === 'ok') return run.exitCode === 0 || run.report ? undefined : `exit ${run.exitCode}`;
  return { timeout: '❌ timed out', 'vm-failed': '❌ did not boot', crashed: `❌ test process crashed (exit ${run.exitCode})`, 'no-report': '❌ no report' }[
    run.status
  ];
}

/** The Markdown table: rows sorted by name, the host first, then the kernels in the given order. */
export function renderMatrix(runs: readonly KernelRun[]): string {
  const ordered = [...runs.filter((r) => r.name === 'host'), ...runs.filter((r) => r.name !== 'host')];
  const perRun = ordered.map((r) => (r.report ? cells(r.report) : new Map<string, Cell>()));
  const rows = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort();
  const lines = [
    `| test file | ${ordered.map(columnHeader).join(' | ')} |`,
    `|---|${ordered.map(() => '---').join('|')}|`,
  ];
  const problems = ordered.map(runProblem);
  if (problems.some((p) => p)) lines.push(`| **run** | ${problems.map((p) => p ?? 'ok').join(' | ')} |`);
  for (const row of rows) lines.push(`| ${row} | ${perRun.map((m) => renderCell(m.get(row))).join(' | ')} |`);
  const t = ordered.map(totals);
  lines.push(`| **total** | ${t.map((x) => `${x.passed} passed, ${x.failed} failed, ${x.skipped} skipped`).join(' | ')} |`);
  return lines.join('\n');
}

export const README_START = '<!-- kernel-matrix:start -->';
export const README_END = '<!-- kernel-matrix:end -->';

/** The README section: how it was made, the table, the kernels' package versions. */
export function renderReadmeSection(runs: readonly KernelRun[]): string {
  const kernels = runs
    .filter((r) => r.name !== 'host')
    .map((r) => `\`${r.name}\`: Debian package ${r.packageVersion ?? '?'} (\`${r.release}\`), run ${r.date.slice(0, 10)} in ${(r.durationMs / 1000).toFixed(0)} s`);
  const host = runs.find((r) => r.name === 'host');
  return [
    README_START,
    '<!-- Generated by `pnpm test:kernels --write-readme` (tools/vmtest); do not edit by hand. -->',
    '',
    'Each column is one run of the real-kernel test suites with `BPFKIT_STRICT=1`: the host column on the',
    'development machine itself, the others inside qemu booting Debian\'s stock kernel (see',
    '[tools/vmtest](tools/vmtest)). A cell counts the tests of one test file: ✅ passed, ⏭️ skipped with',
    'the missing feature the skip named, ❌ failed.',
    '',
    renderMatrix(runs),
    '',
    ...(host ? [`- host: \`${host.release}\`, run ${host.date.slice(0, 10)}`] : []),
    ...kernels.map((k) => `- ${k}`),
    README_END,
  ].join('\n');
}

/** Replaces the section between the markers, or appends a "Kernel compatibility" section. */
export function updateReadme(readme: string, section: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start >= 0 && end > start) return readme.slice(0, start) + section + readme.slice(end + README_END.length);
  if (start >= 0 || end >= 0) throw new Error(`README has only one of ${README_START} and ${README_END}`);
  const licence = readme.search(/^License: /m);
  const block = `## Kernel compatibility\n\n${section}\n\n`;
  return licence >= 0 ? readme.slice(0, licence) + block + readme.slice(licence) : `${readme.trimEnd()}\n\n${block}`;
}
