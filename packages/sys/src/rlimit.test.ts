import { describe, expect, it } from 'vitest';
import { encodeRlimit, memlockLimit, removeMemlockLimit } from './rlimit.js';

describe('RLIMIT_MEMLOCK', () => {
  it('encodes struct rlimit as two little-endian u64s', () => {
    expect([...encodeRlimit(0x0102n, 0xffffffffffffffffn)]).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255]);
  });

  it('raises the soft limit to the hard one at least, then reports nothing left to do', () => {
    removeMemlockLimit();
    const { cur, max } = memlockLimit();
    expect(cur).toBe(max);
    expect(removeMemlockLimit()).toBe(false);
  });
});
