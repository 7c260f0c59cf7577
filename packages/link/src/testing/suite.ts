import type { Program } from '@bpfkit/ebpf';
import { afterAll, beforeAll, expect } from 'vitest';
import { requireFeature, requireRoot } from '../../../../testing/feature.js';
import { type AttachKind, requireAttachKind } from '../features.js';
import { leakedFds, linksOfPrograms, openFds } from './leaks.js';
import { ownLeftovers } from './network.js';

type Ctx = Parameters<typeof requireRoot>[0];

/** Skips (per testing/feature.ts) unless root on a kernel whose probe says it supports `kind`. */
export async function requireKind(ctx: Ctx, kind: AttachKind): Promise<void> {
  requireRoot(ctx);
  await requireFeature(ctx, () => requireAttachKind(kind));
}

/**
 * Registers the suite's leak checks: once it ends, no link of a tracked program, no fd opened
 * since it started, and no device or netns of this process may be left. Returns `track`, which
 * records a program and hands it back.
 */
export function checkNothingLeft(): (program: Program) => Program {
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
