import { defineConfig, type ViteUserConfig } from 'vitest/config';

type TestOptions = NonNullable<ViteUserConfig['test']>;

/** The test setup every package shares; `extra` adds to it (more globalSetup files are appended). */
export function packageTestConfig(extra: TestOptions = {}) {
  const { globalSetup, ...rest } = extra;
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      // koffi is a native addon: a crash must kill one child, not the whole run.
      pool: 'forks',
      globalSetup: ['../../testing/global-setup.ts', ...(globalSetup === undefined ? [] : [globalSetup].flat())],
      testTimeout: 60_000,
      // Set here because vitest hands --testTimeout but not --hookTimeout from its command line
      // to projects (the kernel-matrix runner uses projects), and hooks under qemu's TCG are slow.
      hookTimeout: 60_000,
      ...rest,
    },
  });
}
