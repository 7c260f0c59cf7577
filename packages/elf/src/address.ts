import { InvalidArgumentError } from '@bpfkit/errors';

declare const virtualAddressBrand: unique symbol;
declare const fileOffsetBrand: unique symbol;

/**
 * An address in the ELF file's virtual address space (`st_value`, `p_vaddr`, `sh_addr`): what the
 * linker assigned, relative to the load base for PIE executables and shared libraries.
 */
export type VirtualAddress = bigint & { readonly [virtualAddressBrand]: true };

/**
 * A byte position inside the file on disk. Uprobes attach at file offsets, never at virtual
 * addresses: the two differ whenever a PT_LOAD segment has `p_vaddr - p_offset != 0`.
 */
export type FileOffset = bigint & { readonly [fileOffsetBrand]: true };

/** What the API accepts where a virtual address is meant: a plain number or bigint, but never a `FileOffset`. */
export type VirtualAddressInput = number | (bigint & { readonly [fileOffsetBrand]?: never });

/** What the API accepts where a file offset is meant: a plain number or bigint, but never a `VirtualAddress`. */
export type FileOffsetInput = number | (bigint & { readonly [virtualAddressBrand]?: never });

/** Brands a bigint as a virtual address (no conversion: say what the number already is). */
export function asVirtualAddress(value: number | bigint): VirtualAddress {
  return toBigInt(value, 'virtualAddress') as VirtualAddress;
}

/** Brands a bigint as a file offset (no conversion: say what the number already is). */
export function asFileOffset(value: number | bigint): FileOffset {
  return toBigInt(value, 'fileOffset') as FileOffset;
}

const U64_MAX = (1n << 64n) - 1n;

/** A non-negative 64-bit integer from user input, or a typed error naming the argument. */
export function toBigInt(value: unknown, argument: string): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > U64_MAX) throw new InvalidArgumentError(argument, `${value} is outside 0..2^64-1`);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(argument, `${value} is not a non-negative safe integer`);
    }
    return BigInt(value);
  }
  throw new InvalidArgumentError(argument, `expected a number or bigint, got ${typeof value}`);
}
