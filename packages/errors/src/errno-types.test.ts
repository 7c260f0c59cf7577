import { describe, expect, it } from 'vitest';
import { Errno } from './index.js';

describe('Errno is one literal table', () => {
  // Checked by tsc (pnpm lint/typecheck): the @ts-expect-error fails the build if the line compiles.
  it('gives each name its number as a literal type, and no type to a misspelt name', () => {
    const enoent: 2 = Errno.ENOENT;
    const notsupp: 524 = Errno.ENOTSUPP;
    // @ts-expect-error ENOENTT is no errno name
    const wrong = () => Errno.ENOENTT;
    expect([enoent, notsupp, typeof wrong]).toEqual([2, 524, 'function']);
  });
});
