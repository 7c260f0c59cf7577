import { afterAll, describe, expect, it } from 'vitest';
import { features } from '@bpfkit/link';
import { requireRoot, skipForbidden } from '@bpfkit/testing';
import { KINDS } from './kinds/index.js';
import { missingExports } from './library.js';
import { startDemo, type JsonResult } from './testing/demo.js';
import { leftoversAfterExit, NOTHING } from './testing/leftovers.js';

const pids: number[] = [];

afterAll(async () => {
  for (const pid of pids) expect(await leftoversAfterExit(pid)).toEqual(NOTHING);
});

describe('bpfkit-demo --json, end to end', () => {
  it('has every row; what this kernel supports and the library implements fired, the rest says why not', async (ctx) => {
    requireRoot(ctx);
    const run = startDemo(['--json', '--duration', '2']);
    pids.push(run.child.pid!);
    const { code, stdout, stderr } = await run.done;
    const result = JSON.parse(stdout) as JsonResult;
    // The run as a table in the test log: what each kernel of the matrix showed.
    console.log(result.rows.map((r) => `${r.kind.padEnd(20)} ${r.status.padEnd(15)} ${String(r.hits ?? '-').padStart(6)}  ${r.reason ?? ''}`).join('\n'));
    expect(result.rows.map((r) => r.kind)).toEqual(KINDS.map((k) => k.name));

    const report = new Map(features().map((f) => [f.kind as string, f]));
    for (const [i, kind] of KINDS.entries()) {
      const row = result.rows[i]!;
      const feature = report.get(kind.feature)!;
      const missing = missingExports(kind.needs);
      if (missing.length > 0) {
        expect(row, kind.name).toMatchObject({ status: 'not implemented', hits: null, mechanism: null });
        expect(row.reason).toBe(`no ${missing.join(', ')}`);
      } else if (!feature.supported) {
        expect(row, kind.name).toMatchObject({ status: 'not supported', reason: feature.reason, hits: null });
        // Under BPFKIT_STRICT=1, only a kernel too old, built without the feature, or refusing it by policy may lack it.
        const missingConfig = /kernel built without (CONFIG_\w+)/.exec(feature.reason ?? '')?.[1];
        const refusal = /refused by this kernel/.test(feature.reason ?? '') ? feature.reason : undefined;
        const reason = { message: feature.reason ?? '', minimumKernel: feature.minimumKernel, missingConfig, refusal };
        expect(skipForbidden(reason), `${kind.name} is not supported on a kernel that should have it: ${feature.reason}`).toBe(false);
      } else {
        expect(row, `${kind.name}: ${row.reason ?? ''}`).toMatchObject({ status: 'fired' });
        expect(row.hits, kind.name).toBeGreaterThan(0);
        expect(row.mechanism, kind.name).toMatch(/^[a-z_+]+$/);
        if (row.expected !== undefined) expect(row.hits, kind.name).toBe(row.expected);
      }
    }
    expect(result.ok).toBe(true);
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
  });

  it('--only runs the rows it names, by row name or by kind', async (ctx) => {
    requireRoot(ctx);
    const run = startDemo(['--json', '--duration', '0.5', '--only', 'netns,socket_filter']);
    pids.push(run.child.pid!);
    const { code, stdout } = await run.done;
    expect((JSON.parse(stdout) as JsonResult).rows.map((r) => r.kind)).toEqual(['netns/sk_lookup', 'netns/flow_dissector', 'socket_filter']);
    expect(code).toBe(0);
  });

  it('an unknown --only name is refused before anything is attached', async (ctx) => {
    requireRoot(ctx);
    const run = startDemo(['--only', 'nosuchkind']);
    pids.push(run.child.pid!);
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/--only: no row named nosuchkind; rows: cgroup, /);
  });

  it('--features prints the features() report', async (ctx) => {
    requireRoot(ctx);
    const run = startDemo(['--features', '--json']);
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(features());
  });
});
