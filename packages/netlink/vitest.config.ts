import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // koffi is a native addon: a crash must kill one child, not the whole run.
    pool: 'forks',
    globalSetup: ['../../testing/global-setup.ts', './src/testing/global-setup.ts'],
    testTimeout: 60_000,
  },
});
