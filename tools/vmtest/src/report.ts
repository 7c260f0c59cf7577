/** The per-kernel test report the suite reporter writes and the matrix reads. */

export type TestState = 'passed' | 'failed' | 'skipped';

export interface TestRecord {
  /** Repository-relative path of the test file. */
  readonly file: string;
  /** Suite and test names joined by " > ". */
  readonly name: string;
  readonly state: TestState;
  /** The skip note (`ctx.skip(note)`): names the missing feature. */
  readonly note?: string;
  readonly error?: string;
}

export interface SuiteReport {
  /** `uname -r` where the suite ran. */
  readonly release: string;
  readonly tests: readonly TestRecord[];
  /** Test files that failed outside any test (import error, crash, failing hook). */
  readonly fileErrors: readonly { file: string; error: string }[];
  readonly unhandledErrors: readonly string[];
}

export const REPORT_FILE = 'report.json';
