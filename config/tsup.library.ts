import { defineConfig } from 'tsup';

/** How every published package is built: ESM + CJS + type declarations for Node 20. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // Error classes print under their own names (esbuild would otherwise rename them).
  keepNames: true,
});
