import type { FileOffset, VirtualAddress } from './address.js';
import { SegmentFlags, SegmentType } from './constants.js';
import { type ElfHeader, safeNumber, view } from './header.js';
import { hex, malformed } from './malformed.js';
import type { ByteSource } from './source.js';

/** One program header (segment). */
export interface ElfProgramHeader {
  readonly index: number;
  /** `p_type` (see `SegmentType`). */
  readonly type: number;
  /** `p_flags` (see `SegmentFlags`). */
  readonly flags: number;
  /** `p_offset`: where the segment's bytes start in the file. */
  readonly offset: FileOffset;
  /** `p_vaddr`: where the segment is mapped (relative to the load base for PIE and shared objects). */
  readonly virtualAddress: VirtualAddress;
  readonly physicalAddress: bigint;
  readonly fileSize: bigint;
  readonly memorySize: bigint;
  readonly align: bigint;
}

const PN_XNUM = 0xffff;

export function parseProgramHeaders(src: ByteSource, h: ElfHeader, extendedCount: () => number): ElfProgramHeader[] {
  let count = h.phnum;
  if (count === 0 || h.phoff === 0n) return [];
  if (count === PN_XNUM) count = extendedCount();
  const f = h.fields;
  const phoff = safeNumber(src, h.phoff, 'program header table offset e_phoff');
  if (count * h.phentsize > src.size - phoff) {
    throw malformed(
      src.name,
      `program header table at ${hex(phoff)} (${count} entries of ${h.phentsize} bytes) extends past the end of the file`,
    );
  }
  const dv = view(src.read(phoff, count * h.phentsize, 'program header table'));
  const out: ElfProgramHeader[] = [];
  for (let i = 0; i < count; i++) {
    const b = i * h.phentsize;
    if (f.layout.is64) {
      out.push({
        index: i,
        type: f.u32(dv, b),
        flags: f.u32(dv, b + 4),
        offset: f.u64(dv, b + 8) as FileOffset,
        virtualAddress: f.u64(dv, b + 16) as VirtualAddress,
        physicalAddress: f.u64(dv, b + 24),
        fileSize: f.u64(dv, b + 32),
        memorySize: f.u64(dv, b + 40),
        align: f.u64(dv, b + 48),
      });
    } else {
      out.push({
        index: i,
        type: f.u32(dv, b),
        offset: BigInt(f.u32(dv, b + 4)) as FileOffset,
        virtualAddress: BigInt(f.u32(dv, b + 8)) as VirtualAddress,
        physicalAddress: BigInt(f.u32(dv, b + 12)),
        fileSize: BigInt(f.u32(dv, b + 16)),
        memorySize: BigInt(f.u32(dv, b + 20)),
        flags: f.u32(dv, b + 24),
        align: BigInt(f.u32(dv, b + 28)),
      });
    }
  }
  return out;
}

/**
 * The PT_LOAD segment whose file-backed part holds `address`; an executable one wins when
 * segments overlap (cilium picks the first PF_X segment, libbpf the same for USDT).
 */
export function loadSegmentFor(segments: readonly ElfProgramHeader[], address: bigint): ElfProgramHeader | undefined {
  let found: ElfProgramHeader | undefined;
  for (const p of segments) {
    if (p.type !== SegmentType.Load) continue;
    if (address < p.virtualAddress || address - p.virtualAddress >= p.fileSize) continue;
    if (p.flags & SegmentFlags.Execute) return p;
    found ??= p;
  }
  return found;
}

/** The PT_LOAD segment whose file range holds `offset` (the inverse translation). */
export function loadSegmentForOffset(segments: readonly ElfProgramHeader[], offset: bigint): ElfProgramHeader | undefined {
  let found: ElfProgramHeader | undefined;
  for (const p of segments) {
    if (p.type !== SegmentType.Load) continue;
    if (offset < p.offset || offset - p.offset >= p.fileSize) continue;
    if (p.flags & SegmentFlags.Execute) return p;
    found ??= p;
  }
  return found;
}
