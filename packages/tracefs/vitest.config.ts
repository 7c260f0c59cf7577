import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // koffi is a native addon: a crash must kill one child, not the whole run.
    pool: 'forks',
    globalSetup: ['../../testing/global-setup.ts'],
    testTimeout: 60_000,
    // Hooks build a target binary and transpile the package for child processes: under qemu's
    // TCG that exceeds vitest's 10 s hook default. A CLI --hookTimeout does not reach projects.
    hookTimeout: 60_000,
  },
});
