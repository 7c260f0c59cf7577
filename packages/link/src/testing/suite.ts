import type { Program } from '@bpfkit/ebpf';
import { afterAll, beforeAll, expect } from 'vitest';
import { leakedFds, linksOfPrograms, openFds } from './leaks.js';
import { netnsOfThisProcess } from './netns.js';

/**
 * Registers the checks every real-kernel test file ends with: no link of the programs passed to
 * the returned `track` remains, no netns of this process, no fd opened since the file started.
 */
export function leakChecks(): (p: Program) => Program {
  const programIds: number[] = [];
  let fdsBefore: Map<number, string>;
  beforeAll(() => {
    fdsBefore = openFds();
  });
  afterAll(() => {
    expect(linksOfPrograms(programIds)).toEqual([]);
    expect(netnsOfThisProcess()).toEqual([]);
    expect(leakedFds(fdsBefore)).toEqual([]);
  });
  return (p) => (programIds.push(p.info().id), p);
}
