import { describe, expect, it } from 'vitest';
import { BpfError } from '@bpfkit/errors';
import { compileBpf } from '@bpfkit/testing';
import { loadCollectionSpec } from './collection-spec.js';
import { EVENTS } from './testing/events-program.js';

const ROUNDS = 1000;

/** xorshift32: the same mutations on every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

describe('loadCollectionSpec on corrupted objects', () => {
  it('throws only BpfErrors (never a TypeError or RangeError) and never hangs', () => {
    const obj = compileBpf(EVENTS);
    const rand = random(0x5eed);
    const escaped: string[] = [];
    let thrownCount = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const bad = Uint8Array.from(obj);
      const flips = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < flips; i++) bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.2 ? Math.floor(rand() * bad.length) : bad.length;
      try {
        loadCollectionSpec(bad.subarray(0, cut));
      } catch (err) {
        if (!(err instanceof BpfError)) escaped.push(`round ${round}: ${String(err)}`);
        thrownCount++;
      }
    }
    expect(escaped).toEqual([]);
    // Some mutations must be caught (and some survive: most bytes are debug info).
    expect(thrownCount).toBeGreaterThan(20);
    expect(thrownCount).toBeLessThan(ROUNDS);
  });
});
