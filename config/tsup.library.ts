import { defineConfig } from 'tsup';

/** How every published package is built: ESM + CJS + type declarations for Node 20. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // @internal members (constructors that take an FD, and the like) stay out of the published types.
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // Error classes print under their own names (esbuild would otherwise rename them).
  keepNames: true,
  // A script or REPL that runs `const { Map } = require('@bpfkit/ebpf')` at top level puts a
  // global lexical `Map` in its temporal dead zone while the bundles load; every bundle reads
  // the built-in through globalThis instead, which the declaration cannot shadow.
  banner: { js: "'use strict';\nconst Map = globalThis.Map;" },
});
