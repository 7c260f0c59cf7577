import { InvalidArgumentError } from '@bpfkit/errors';

const U64_MAX = (1n << 64n) - 1n;

/** A u64 option (cookie, offset, address) as a bigint, or undefined when absent; InvalidArgumentError naming `what` otherwise. */
export function u64Option(value: unknown, what: string, argument = 'cookie'): bigint | undefined {
  if (value === undefined) return undefined;
  let n: bigint | undefined;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  if (n === undefined || n < 0n || n > U64_MAX) throw new InvalidArgumentError(argument, `${what}: ${argument} ${String(value)} is not an unsigned 64-bit integer`);
  return n;
}

/** A name of the kernel's (symbol, tracepoint, hook): non-empty, with a letter or digit ('_' and '.' alone are not names). */
export function checkName(name: unknown, what: string, argument: string): asserts name is string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(argument, `${what}: the ${argument} cannot be empty`);
  if (!/[A-Za-z0-9]/.test(name)) throw new InvalidArgumentError(argument, `${what}: ${JSON.stringify(name)} is not a valid ${argument}`);
}
