import { defineConfig } from 'vitest/config';

// Boots real VMs (needs qemu-system-x86 and busybox-static, and a network for the first kernel
// download): run with `pnpm --filter @bpfkit/vmtest test:e2e`, not in the host suite.
export default defineConfig({
  test: {
    include: ['src/**/*.e2e.test.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
