import type { Program } from '@bpfkit/ebpf';
import { afterAll, beforeAll, expect } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, skipUnsupported } from '@bpfkit/testing';
import { probeAttachKind, type AttachKind } from '../features.js';
import { linksOfPrograms, tracefsEventsOfThisProcess } from './leaks.js';
import { ownLeftovers } from './network.js';

type Ctx = Parameters<typeof requireRoot>[0];

/** Skips (per testing/feature.ts) unless root on a kernel whose probe says it supports `kind`. */
export async function requireKind(ctx: Ctx, kind: AttachKind): Promise<void> {
  requireRoot(ctx);
  await requireFeature(ctx, () => probeAttachKind(kind));
}

/**
 * Registers the checks every real-kernel test file (or describe block) ends with: no link of a
 * program passed to the returned `track`, no fd opened since it began, no device, netns or
 * tracefs event of this process.
 */
export function leakChecks(): (program: Program) => Program {
  const programIds: number[] = [];
  let fdsBefore: Map<number, string>;
  beforeAll(() => {
    fdsBefore = openFds();
  });
  afterAll(() => {
    expect(linksOfPrograms(programIds)).toEqual([]);
    expect(leakedSince(fdsBefore)).toEqual([]);
    expect(ownLeftovers()).toEqual({ links: [], netns: [] });
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
