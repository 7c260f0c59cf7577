import { defineConfig } from 'tsup';

// An application, not a library: one ESM entry, no declarations.
export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  clean: true,
  sourcemap: true,
});
