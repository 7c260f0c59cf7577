import type { Program } from '@bpfkit/ebpf';
import { afterAll, beforeAll, expect } from 'vitest';
import { skipUnsupported } from '../../../../testing/feature.js';
import { leakedFds, linksOfPrograms, openFds, tracefsEventsOfThisProcess } from './leaks.js';

/**
 * For a describe block: after all its tests no link of the programs passed to the returned
 * `track`, no fd opened since it began, and no tracefs event of this process remains.
 */
export function leakCheckedPrograms(): (program: Program) => Program {
  const programIds: number[] = [];
  let fdsBefore: Map<number, string>;
  beforeAll(() => {
    fdsBefore = openFds();
  });
  afterAll(() => {
    expect(linksOfPrograms(programIds)).toEqual([]);
    expect(leakedFds(fdsBefore)).toEqual([]);
    expect(tracefsEventsOfThisProcess()).toEqual([]);
  });
  return (program) => (programIds.push(program.info().id), program);
}

/** `attach()`, skipping the test (by the rules of testing/feature.ts) when the kernel lacks what it needs. */
export function attachOrSkip<T>(ctx: { skip(note?: string): never }, attach: () => T): T {
  try {
    return attach();
  } catch (err) {
    return skipUnsupported(ctx, err);
  }
}
