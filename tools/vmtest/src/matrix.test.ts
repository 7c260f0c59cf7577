import { describe, expect, it } from 'vitest';
import { type KernelRun, README_END, README_START, failures, renderMatrix, renderReadmeSection, rowName, shortNote, totals, updateReadme } from './matrix.js';
import type { SuiteReport, TestRecord } from './report.js';

const t = (file: string, state: TestRecord['state'], note?: string): TestRecord => ({ file, name: `${file} test`, state, ...(note ? { note } : {}) });

const report = (tests: TestRecord[], extra: Partial<SuiteReport> = {}): SuiteReport => ({ release: '6.12.117+deb12-amd64', tests, fileErrors: [], unhandledErrors: [], ...extra });

const run = (name: string, r: SuiteReport | undefined, more: Partial<KernelRun> = {}): KernelRun => ({
  name,
  release: r?.release ?? '?',
  status: 'ok',
  exitCode: 0,
  durationMs: 42_000,
  date: '2026-11-25T23:00:00.000Z',
  ...(r ? { report: r } : {}),
  ...more,
});

const KPROBE = 'packages/link/src/kprobe.test.ts';
const MULTI = 'packages/link/src/kprobe-multi.test.ts';
const NOTE = 'kernel lacks it: kprobe_multi not supported (kernel built without CONFIG_FPROBE)';

describe('rows', () => {
  it('are package/file for packages and tools', () => {
    expect(rowName(KPROBE)).toBe('link/kprobe');
    expect(rowName('packages/sys/src/link.kernel.test.ts')).toBe('sys/link.kernel');
    expect(rowName('tools/vmtest/src/guest/isolation.test.ts')).toBe('vmtest/isolation');
    expect(rowName('testing/feature.test.ts')).toBe('testing/feature');
  });
});

describe('totals', () => {
  it('count tests, file errors and unhandled errors', () => {
    const r = report([t(KPROBE, 'passed'), t(KPROBE, 'failed'), t(MULTI, 'skipped', NOTE)], {
      fileErrors: [{ file: MULTI, error: 'SyntaxError' }],
      unhandledErrors: ['boom'],
    });
    expect(totals(run('6.1', r, { exitCode: 1 }))).toEqual({ passed: 1, failed: 3, skipped: 1 });
  });

  it('count a run without a report, or a non-zero exit without failures, as one failure', () => {
    expect(totals(run('6.1', undefined, { status: 'timeout', exitCode: null }))).toEqual({ passed: 0, failed: 1, skipped: 0 });
    expect(totals(run('6.1', report([t(KPROBE, 'passed')]), { exitCode: 139 }))).toEqual({ passed: 1, failed: 1, skipped: 0 });
  });
});

describe('failures', () => {
  it('name one line for each failure totals() counts', () => {
    const r = report([t(KPROBE, 'passed'), { ...t(KPROBE, 'failed'), error: 'AssertionError: expected 0 to be 1\n    at x' }], {
      fileErrors: [{ file: MULTI, error: 'SyntaxError: bad' }],
      unhandledErrors: ['boom'],
    });
    const lines = failures(run('6.1', r, { exitCode: 1 }));
    expect(lines).toEqual([
      `${KPROBE} > ${KPROBE} test: AssertionError: expected 0 to be 1`,
      `${MULTI}: SyntaxError: bad`,
      'unhandled: boom',
    ]);
    expect(lines).toHaveLength(totals(run('6.1', r, { exitCode: 1 })).failed);
    expect(failures(run('6.1', undefined, { status: 'timeout', exitCode: null, logTail: 'no exit\nmore' }))).toEqual(['timeout: no exit']);
    expect(failures(run('6.1', report([t(KPROBE, 'passed')]), { exitCode: 139 }))).toEqual(['ok, exit 139']);
  });
});

describe('Markdown matrix', () => {
  const host = run('host', { ...report([t(KPROBE, 'skipped', 'kernel lacks it: kprobe PMU not supported (kernel built without CONFIG_KPROBE_EVENTS)')]), release: '6.18.44-fc' });
  const k61 = run('6.1', { ...report([t(KPROBE, 'passed'), t(KPROBE, 'passed'), t(MULTI, 'skipped', NOTE)]), release: '6.1.0-56-amd64' }, { packageVersion: '6.1.192-2' });
  const k612 = run('6.12', report([t(KPROBE, 'passed'), t(MULTI, 'passed'), t(MULTI, 'failed')]), { exitCode: 1 });

  it('puts the host first, one row per test file, skip notes shortened', () => {
    expect(renderMatrix([k61, k612, host])).toBe(
      [
        '| test file | host 6.18.44-fc | 6.1 (6.1.0-56-amd64) | 6.12 (6.12.117+deb12-amd64) |',
        '|---|---|---|---|',
        '| link/kprobe | ⏭️ 1 skipped (kprobe PMU not supported (kernel built without CONFIG_KPROBE_EVENTS)) | ✅ 2 | ✅ 1 |',
        '| link/kprobe-multi | – | ⏭️ 1 skipped (kprobe_multi not supported (kernel built without CONFIG_FPROBE)) | ❌ 1 failed, ✅ 1 |',
        '| **total** | 0 passed, 0 failed, 1 skipped | 2 passed, 0 failed, 1 skipped | 2 passed, 1 failed, 0 skipped |',
      ].join('\n'),
    );
  });

  it('shows a run that did not finish', () => {
    const dead = run('5.10', undefined, { status: 'vm-failed', exitCode: null });
    expect(renderMatrix([k61, dead]).split('\n')[2]).toBe('| **run** | ok | ❌ did not boot |');
  });

  it('escapes pipes and cuts long notes', () => {
    expect(shortNote(`kernel lacks it: ${'x'.repeat(200)}`)).toHaveLength(90);
    const piped = run('6.1', report([t(KPROBE, 'skipped', 'a|b')]));
    expect(renderMatrix([piped])).toContain('(a\\|b)');
  });
});

describe('README section', () => {
  const section = renderReadmeSection([run('6.1', report([t(KPROBE, 'passed')]), { packageVersion: '6.1.192-2', release: '6.1.0-56-amd64' })]);

  it('lies between the markers and names the package versions', () => {
    expect(section.startsWith(README_START)).toBe(true);
    expect(section.endsWith(README_END)).toBe(true);
    expect(section).toContain('`6.1`: Debian package 6.1.192-2 (`6.1.0-56-amd64`), run 2026-11-25 in 42 s');
  });

  it('replaces only what is between the markers', () => {
    const readme = `# x\n\n## Kernel compatibility\n\n${README_START}\nold\n${README_END}\n\nLicense: MIT.\n`;
    expect(updateReadme(readme, section)).toBe(`# x\n\n## Kernel compatibility\n\n${section}\n\nLicense: MIT.\n`);
  });

  it('is added before the licence line when the README has no markers yet', () => {
    expect(updateReadme('# x\n\nLicense: MIT.\n', section)).toBe(`# x\n\n## Kernel compatibility\n\n${section}\n\nLicense: MIT.\n`);
  });

  it('refuses a README with a single marker', () => {
    expect(() => updateReadme(`# x\n${README_START}\n`, section)).toThrow(/only one of/);
  });
});
