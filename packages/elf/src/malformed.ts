import { InvalidArgumentError } from '@bpfkit/errors';

/** The error for bytes that are not a well-formed ELF file: names the file and what is wrong where. */
export function malformed(source: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError('ELF file', `${source}: ${message}`);
}

export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
