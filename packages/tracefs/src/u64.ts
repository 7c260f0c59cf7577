import { InvalidArgumentError } from '@bpfkit/errors';

const U64_MAX = (1n << 64n) - 1n;

/** Validates an unsigned 64-bit option given as a safe integer number or a bigint. */
export function toU64(value: unknown, argument: string): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > U64_MAX) throw new InvalidArgumentError(argument, `${value} is outside 0..2^64-1`);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(argument, `${value} is not a non-negative safe integer (use a bigint above 2^53)`);
    }
    return BigInt(value);
  }
  throw new InvalidArgumentError(argument, `expected a number or bigint, got ${typeof value}`);
}
