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

/** One 8-byte instruction. */
function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = code;
  b[1] = (src << 4) | dst;
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}

/**
 * Hand-encoded: increment the u64 at key 0 of array map `mapFd`, then return `ret`.
 * (The asm builder lives in @bpfkit/ebpf; sys tests must not depend on it.)
 */
export function counterInsns(mapFd: number, ret = 0): Uint8Array {
  return new Uint8Array([
    ...insn(0xb7, 1, 0, 0, 0), // r1 = 0
    ...insn(0x63, 10, 1, -4, 0), // *(u32 *)(r10 - 4) = r1
    ...insn(0xbf, 2, 10, 0, 0), // r2 = r10
    ...insn(0x07, 2, 0, 0, -4), // r2 += -4
    ...insn(0x18, 1, 1, 0, mapFd), // r1 = map (ld_imm64, BPF_PSEUDO_MAP_FD)
    ...insn(0x00, 0, 0, 0, 0),
    ...insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
    ...insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
    ...insn(0xb7, 1, 0, 0, 1), // r1 = 1
    ...insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
    ...insn(0xb7, 0, 0, 0, ret), // r0 = ret
    ...insn(0x95, 0, 0, 0, 0), // exit
  ]);
}
