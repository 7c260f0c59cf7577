// Adds up every package's vitest JSON report and prints the plain line CI reads:
// "N passed, N failed[, N skipped]". Exit status: non-zero when anything failed, when a package
// with a test script produced no report, or when the test runner itself ($1) failed.
// Further arguments name totals files ({ passed, failed, skipped }) of other suites to add, e.g.
// the kernel matrix's tools/vmtest/results/last-run.json; a missing one counts as a failure.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { relative } from 'node:path';

const runnerStatus = Number(process.argv[2] ?? 0);
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
// CI shows only the tail of the output: name what failed right above the totals.
const failures = [];
for (const dir of ['packages', 'apps', 'tools'].filter((d) => existsSync(d))) {
  for (const pkg of readdirSync(dir)) {
    const manifest = `${dir}/${pkg}/package.json`;
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) continue;
    const report = `${dir}/${pkg}/test-results.json`;
    if (!existsSync(report)) {
      missing.push(`${dir}/${pkg}`);
      continue;
    }
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    for (const file of r.testResults ?? []) {
      const where = `${pkg}: ${relative(process.cwd(), file.name)}`;
      const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
      for (const a of failedTests) failures.push(`${where} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
      // A file that failed to load or crashed has no failed test of its own: count it once.
      if (file.status === 'failed' && failedTests.length === 0) {
        failed += 1;
        failures.push(`${where}: ${firstLine(file.message)}`);
      }
    }
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  }
}
for (const totals of process.argv.slice(3)) {
  if (!existsSync(totals)) {
    missing.push(totals);
    continue;
  }
  const t = JSON.parse(readFileSync(totals, 'utf8'));
  passed += t.passed;
  failed += t.failed;
  skipped += t.skipped;
}
for (const f of failures) console.log(`FAILED ${f}`);
if (missing.length) console.error(`no test report from: ${missing.join(', ')}`);
failed += missing.length;
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(runnerStatus !== 0 || failed > 0 || passed === 0 ? 1 : 0);

function firstLine(text) {
  return (text ?? '').split('\n')[0].slice(0, 300);
}
