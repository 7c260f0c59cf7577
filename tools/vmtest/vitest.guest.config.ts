// The suite the kernel matrix runs, in one vitest process per kernel: every selected package
// ($BPFKIT_VMTEST_PACKAGES, directories relative to the repository root) as a project with its
// own vitest.config.ts. The runner adds the pool options on the command line.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));
const packages = (process.env.BPFKIT_VMTEST_PACKAGES ?? '').split(',').filter(Boolean);
if (packages.length === 0) throw new Error('BPFKIT_VMTEST_PACKAGES names no package directory');

export default defineConfig({
  test: {
    root,
    projects: packages.map((p) => `${root}${p}`),
  },
});
