import { describe, expect, it } from 'vitest';
import { requireRoot } from '@bpfkit/testing';
import { ProgType, StatsType } from './constants.js';
import { progInfo } from './info.js';
import { enableStats } from './stats.js';
import { progLoad, progTestRun } from './prog.js';
import { RETURN_ZERO } from './testing/kernel.js';

describe('ENABLE_STATS', () => {
  it('run-time statistics count program runs while the stats fd is open', (ctx) => {
    requireRoot(ctx);
    using prog = progLoad({ progType: ProgType.SchedCLS, insns: RETURN_ZERO, license: 'GPL' });
    {
      using _stats = enableStats(StatsType.RunTime);
      progTestRun({ progFd: prog.fd, dataIn: new Uint8Array(64), repeat: 5 });
    }
    expect(progInfo(prog.fd).runCnt).toBeGreaterThanOrEqual(5n);
  });
});
