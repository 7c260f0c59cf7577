import type { Program } from '@bpfkit/ebpf';
import { afterAll, beforeAll, expect } from 'vitest';
import { requireFeature, requireRoot } from '../../../../testing/feature.js';
import { probeAttachKind, type AttachKind } from '../features.js';
import { leakedFds, linksOfPrograms, openFds } from './leaks.js';
import { ownLeftovers } from './network.js';

type Ctx = Parameters<typeof requireRoot>[0];

/** Skips (per testing/feature.ts) unless root on a kernel whose probe says it supports `kind`. */
export async function requireKind(ctx: Ctx, kind: AttachKind): Promise<void> {
  requireRoot(ctx);
  await requireFeature(ctx, () => probeAttachKind(kind));
}

/**
 * Registers the checks every real-kernel test file ends with: no link of a program passed to the
 * returned `track`, no fd opened since the file started, no device or netns of this process.
 */
export function leakChecks(): (program: Program) => Program {
  const programIds: number[] = [];
  let fdsBefore: Map<number, string>;
  beforeAll(() => {
    fdsBefore = openFds();
  });
  afterAll(() => {
    expect(linksOfPrograms(programIds)).toEqual([]);
    expect(leakedFds(fdsBefore)).toEqual([]);
    expect(ownLeftovers()).toEqual({ links: [], netns: [] });
  });
  return (program) => (programIds.push(program.info().id), program);
}
