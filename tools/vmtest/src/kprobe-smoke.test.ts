import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot } from '@bpfkit/testing';
import { attachKprobeCounter, kprobePmuType } from './kprobe-smoke.js';

/** Three open() calls, each reaching do_sys_openat2 once. */
function openThrice(): void {
  for (let i = 0; i < 3; i++) closeSync(openSync('/proc/self/stat', 'r'));
}

describe('kprobe smoke test (kprobe PMU + BPF_PROG_TYPE_KPROBE through @bpfkit/sys)', () => {
  for (const ret of [false, true]) {
    it(`${ret ? 'kretprobe' : 'kprobe'} on do_sys_openat2 counts calls while attached, and stops after detach`, async (ctx) => {
      requireRoot(ctx);
      await requireFeature(ctx, kprobePmuType);
      const before = openFds();
      const counter = attachKprobeCounter('do_sys_openat2', ret);
      try {
        openThrice();
        const hits = counter.count();
        expect(hits).toBeGreaterThanOrEqual(3n);
        counter.detach();
        const atDetach = counter.count();
        openThrice();
        expect(counter.count()).toBe(atDetach);
      } finally {
        counter.close();
      }
      expect(leakedSince(before)).toEqual([]);
    });
  }
});
