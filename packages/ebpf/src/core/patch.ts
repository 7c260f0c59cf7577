import { InvalidArgumentError } from '@bpfkit/errors';

/** libbpf's poison: a call to a helper that does not exist, rejected only if the verifier reaches it. */
export const POISON_HELPER = 0xbad2310;
const CALL = 0x85;
const LD_IMM64 = 0x18;
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const SIZE_CODE: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

export function poison(insns: Uint8Array, index: number): void {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const slots = view.getUint8(index * 8) === LD_IMM64 ? 2 : 1;
  for (let s = 0; s < slots; s++) {
    const at = (index + s) * 8;
    view.setUint8(at, CALL);
    view.setUint8(at + 1, 0);
    view.setInt16(at + 2, 0, true);
    view.setInt32(at + 4, POISON_HELPER, true);
  }
}

/**
 * Put a relocated value into its instruction (libbpf's bpf_core_patch_insn): the immediate of an
 * ALU op, the offset of a load or store (and its width, when the field's size changed), or the
 * 64-bit immediate of ld_imm64.
 */
export function patchInstruction(insns: Uint8Array, index: number, value: bigint, fieldSize: number | undefined, what: string): void {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const at = index * 8;
  if (at + 8 > insns.byteLength) throw new InvalidArgumentError('CO-RE', `${what}: instruction ${index} is past the program`);
  const code = view.getUint8(at);
  const cls = code & 0x07;
  if (code === LD_IMM64) {
    const u = BigInt.asUintN(64, value);
    view.setUint32(at + 4, Number(u & 0xffffffffn), true);
    view.setUint32(at + 12, Number(u >> 32n), true);
    return;
  }
  if (cls === 0x04 || cls === 0x07) {
    if ((code & 0x08) !== 0) throw new InvalidArgumentError('CO-RE', `${what}: ALU instruction takes a register, not an immediate`);
    if (value < -(1n << 31n) || value >= 1n << 32n) throw new InvalidArgumentError('CO-RE', `${what}: value ${value} does not fit a 32-bit immediate`);
    view.setInt32(at + 4, Number(BigInt.asIntN(32, value)), true);
    return;
  }
  if (cls === 0x01 || cls === 0x02 || cls === 0x03) {
    if (value < -0x8000n || value > 0x7fffn) throw new InvalidArgumentError('CO-RE', `${what}: offset ${value} does not fit a load/store offset`);
    view.setInt16(at + 2, Number(value), true);
    const size = SIZE_BYTES[code & 0x18]!;
    if (fieldSize !== undefined && fieldSize !== size && SIZE_CODE[fieldSize] !== undefined && (code & 0xe0) === 0x60) {
      view.setUint8(at, (code & ~0x18) | SIZE_CODE[fieldSize]!);
    }
    return;
  }
  throw new InvalidArgumentError('CO-RE', `${what}: opcode 0x${code.toString(16)} cannot take a relocated value`);
}
