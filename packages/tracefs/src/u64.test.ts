import { InvalidArgumentError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { toU64 } from './u64.js';

describe('toU64', () => {
  it('accepts safe non-negative numbers and bigints up to 2^64-1', () => {
    expect(toU64(0, 'x')).toBe(0n);
    expect(toU64(Number.MAX_SAFE_INTEGER, 'x')).toBe(BigInt(Number.MAX_SAFE_INTEGER));
    expect(toU64((1n << 64n) - 1n, 'x')).toBe((1n << 64n) - 1n);
  });

  it.each([-1, 1.5, NaN, Infinity, 2 ** 53, -1n, 1n << 64n, '1', null, undefined])('rejects %s', (v) => {
    expect(() => toU64(v, 'offset')).toThrow(InvalidArgumentError);
  });
});
