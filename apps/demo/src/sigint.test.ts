import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '@bpfkit/testing';
import { startDemo } from './testing/demo.js';
import { leftovers, leftoversAfterExit, NOTHING, type Leftovers } from './testing/leftovers.js';

/** Polls until the run has attached programs and made its netns, veth pair and cgroup. */
async function attached(pid: number, exited: () => boolean): Promise<Leftovers> {
  for (;;) {
    const now = leftovers(pid);
    if (now.links.length > 0 && now.netns.length > 0 && now.veth.length > 0 && now.cgroups.length > 0) return now;
    if (exited()) throw new Error('the demo exited before it had attached anything');
    await sleep(100);
  }
}

describe('interrupting bpfkit-demo', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} mid-run: it stops, cleans up everything it made and exits 128+n`, async (ctx) => {
      requireRoot(ctx);
      const run = startDemo(['--duration', '600']);
      const pid = run.child.pid!;
      let exited = false;
      void run.done.finally(() => (exited = true));
      try {
        const made = await attached(pid, () => exited);
        expect(made.programs.length).toBeGreaterThan(0);
        run.child.kill(signal);
        const { code, stdout, stderr } = await run.done;
        expect(stderr).toBe('');
        expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
        expect(stdout).toMatch(/KIND +MECHANISM +HITS +STATUS/);
        expect(await leftoversAfterExit(pid)).toEqual(NOTHING);
      } finally {
        // A failed expectation must not leave a 10-minute run behind.
        if (!exited) {
          run.child.kill('SIGTERM');
          await run.done;
        }
      }
    });
  }
});
