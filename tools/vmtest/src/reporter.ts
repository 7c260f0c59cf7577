/**
 * A vitest reporter for the kernel matrix: writes every test's state and skip note (which the
 * JSON reporter leaves out) to $BPFKIT_VMTEST_OUT/report.json. Used both in the guests and for
 * the host's column.
 */
import { writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join, relative } from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';
import { REPORT_FILE, type SuiteReport, type TestRecord } from './report.js';

function describe(errors: readonly SerializedError[] | undefined): string {
  return (errors ?? []).map((e) => `${e.name ?? 'Error'}: ${e.message}`).join('\n');
}

export default class MatrixReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    const out = process.env.BPFKIT_VMTEST_OUT;
    if (!out) throw new Error('MatrixReporter needs BPFKIT_VMTEST_OUT (the directory to write the report to)');
    const root = process.env.BPFKIT_VMTEST_ROOT ?? process.cwd();
    const tests: TestRecord[] = [];
    const fileErrors: { file: string; error: string }[] = [];
    for (const m of modules) {
      const file = relative(root, m.moduleId);
      if (m.errors().length > 0) fileErrors.push({ file, error: describe(m.errors()) });
      for (const t of m.children.allTests()) {
        const r = t.result();
        if (r.state === 'pending') continue;
        tests.push({
          file,
          name: t.fullName,
          state: r.state,
          ...(r.state === 'skipped' && r.note ? { note: r.note } : {}),
          ...(r.state === 'failed' ? { error: describe(r.errors) } : {}),
        });
      }
    }
    const report: SuiteReport = { release: release(), tests, fileErrors, unhandledErrors: unhandled.map((e) => describe([e])) };
    writeFileSync(join(out, REPORT_FILE), JSON.stringify(report, null, 1) + '\n');
  }
}
