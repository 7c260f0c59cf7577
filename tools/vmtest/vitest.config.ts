import { defineConfig } from 'vitest/config';

// Under the kernel-matrix runner (BPFKIT_VMTEST_SUITE=1) only the real-kernel tests run, plus the
// guest-only checks inside a VM (BPFKIT_VMTEST_GUEST=1); the runner's own unit tests run in the
// ordinary host suite. *.e2e.test.ts boot VMs and run through vitest.e2e.config.ts.
const suite = process.env.BPFKIT_VMTEST_SUITE === '1';
const guest = process.env.BPFKIT_VMTEST_GUEST === '1';

export default defineConfig({
  test: {
    include: suite ? ['src/kprobe-smoke.test.ts', ...(guest ? ['src/guest/*.test.ts'] : [])] : ['src/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...(suite ? [] : ['src/guest/**', 'src/**/*.e2e.test.ts'])],
    // koffi is a native addon: a crash must kill one child, not the whole run.
    pool: 'forks',
    globalSetup: ['../../testing/global-setup.ts'],
    testTimeout: 60_000,
  },
});
