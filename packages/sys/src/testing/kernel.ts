import { readdirSync } from 'node:fs';

/** The descriptors this process has open, for leak checks. */
export function openFds(): Set<number> {
  return new Set(readdirSync('/proc/self/fd').map(Number));
}

/** Descriptors open now that were not open in `before`. */
export function leakedSince(before: Set<number>): number[] {
  return [...openFds()].filter((fd) => !before.has(fd));
}

/** `r0 = 0; exit` */
export const RETURN_ZERO = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** `r0 = -1; exit`: a socket filter that accepts whole packets. */
export const ACCEPT_ALL = new Uint8Array([0xb7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/**
 * The bytes a layout should have, written independently of AttrWriter: `[offset, size, value]`
 * triples straight from the inventory's tables; everything else zero.
 */
export function layout(size: number, fields: [offset: number, bytes: 4 | 8, value: number | bigint][]): Uint8Array {
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  for (const [off, bytes, value] of fields) {
    if (bytes === 4) v.setUint32(off, Number(BigInt.asUintN(32, BigInt(value))), true);
    else v.setBigUint64(off, BigInt(value), true);
  }
  return out;
}
