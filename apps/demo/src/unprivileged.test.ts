import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireRoot } from '@bpfkit/testing';
import { missingPrivileges } from './privileges.js';
import { DEMO_MAIN, startDemo } from './testing/demo.js';
import { leftoversAfterExit, NOTHING } from './testing/leftovers.js';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];
const temp: string[] = [];

afterAll(() => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

/**
 * The demo's dist in a directory everyone can read: the checkout may sit where nobody cannot
 * (a clone under /root). The privilege check runs before anything outside dist is loaded.
 */
function worldReadableDemo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-demo-test-'));
  temp.push(dir);
  cpSync(dirname(DEMO_MAIN), dir, { recursive: true });
  chmodSync(dir, 0o755);
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
  return join(dir, 'main.js');
}

describe('bpfkit-demo without privileges', () => {
  it('as nobody: one message naming the capabilities, exit 1, nothing attempted', async (ctx) => {
    requireRoot(ctx);
    expect(spawnSync('setpriv', ['--help']).status).toBe(0);
    const run = startDemo(['--json'], ['setpriv', ...NOBODY, process.execPath, worldReadableDemo()]);
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^bpfkit-demo needs root: /);
    expect(stderr).toContain('CAP_SYS_ADMIN');
    expect(stderr).toContain('CAP_NET_ADMIN');
    if (Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')) >= 39) expect(stderr).toContain('CAP_BPF');
    expect(stderr).toMatch(/Nothing was attempted\. Run it as root/);
    expect(await leftoversAfterExit(run.child.pid!)).toEqual(NOTHING);
  });

  it('reads the effective capabilities: all needed ones present, or the missing ones by name', () => {
    const all = 'CapEff:\t000001ffffffffff\n';
    expect(missingPrivileges(all, 40)).toEqual([]);
    expect(missingPrivileges('CapEff:\t0000000000000000\n', 40)).toEqual(['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_DAC_OVERRIDE', 'CAP_BPF', 'CAP_PERFMON']);
    // CAP_SYS_ADMIN | CAP_NET_ADMIN | CAP_DAC_OVERRIDE on a kernel before CAP_BPF (5.4: cap_last_cap 37).
    const old = `CapEff:\t${((1n << 21n) | (1n << 12n) | (1n << 1n)).toString(16).padStart(16, '0')}\n`;
    expect(missingPrivileges(old, 37)).toEqual([]);
    expect(missingPrivileges(old, 40)).toEqual(['CAP_BPF', 'CAP_PERFMON']);
  });
});
