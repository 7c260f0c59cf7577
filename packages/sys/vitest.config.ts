import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', '../../testing/*.test.ts'],
    // koffi is a native addon: a crash must kill one child, not the whole run.
    pool: 'forks',
    globalSetup: ['../../testing/global-setup.ts'],
    testTimeout: 60_000,
    // fd.test.ts forces garbage collection to prove the finalizer closes dropped FDs.
    execArgv: ['--expose-gc'],
  },
});
