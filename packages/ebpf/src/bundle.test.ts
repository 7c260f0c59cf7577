import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

describe('the built bundles', () => {
  it('load under a top-level `const { Map } = require(...)` and leave the global Map working', () => {
    // `node -e` runs a script: its top-level const is a global lexical binding, in its temporal
    // dead zone while require() loads the bundles (errors, sys, btf, elf, ebpf).
    const script = `
      const { Map, BpfMap } = require(${JSON.stringify(join(DIST, 'index.cjs'))});
      const builtin = globalThis.Map;
      console.log(JSON.stringify({ alias: Map === BpfMap, builtin: new builtin([[1, 2]]).get(1) }));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ alias: true, builtin: 2 });
  });

  it('export Map as an alias of BpfMap from both builds', async () => {
    const esm = (await import(join(DIST, 'index.js'))) as { Map: unknown; BpfMap: unknown };
    expect(esm.Map).toBe(esm.BpfMap);
  });
});
