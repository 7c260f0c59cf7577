import type { FileOffset, VirtualAddress } from './address.js';
import { SegmentFlags } from './constants.js';
import { type FieldReader, view } from './header.js';
import { hex, malformed } from './malformed.js';
import type { ElfNote } from './notes.js';
import { type ElfProgramHeader, loadSegmentFor } from './segments.js';
import type { ByteSource } from './source.js';

/** One argument of a USDT probe, from the note's `size@location` spec (e.g. `-4@%edi`, `8@-8(%rbp)`, `-4@[sp, 12]`). */
export interface UsdtArgument {
  /** Size in bytes. */
  readonly size: number;
  readonly signed: boolean;
  /** The assembler operand as written: a register, a memory reference or a constant. */
  readonly location: string;
}

/** A statically defined tracepoint (`DTRACE_PROBE`/`STAP_PROBE` from `<sys/sdt.h>`), read from `.note.stapsdt`. */
export interface UsdtProbe {
  readonly provider: string;
  readonly name: string;
  /** Where the probe's nop is, adjusted for prelinking by `.stapsdt.base` as libbpf does. */
  readonly location: VirtualAddress;
  /** The file offset of `location`: what a uprobe attaches to. */
  readonly locationOffset: FileOffset;
  /** The probe address as recorded in the note, before the `.stapsdt.base` adjustment. */
  readonly noteLocation: VirtualAddress;
  /** The `.stapsdt.base` address recorded in the note (0 when absent). */
  readonly base: VirtualAddress;
  /** The semaphore (`is-enabled` counter) address, if the probe has one. */
  readonly semaphore?: VirtualAddress;
  /** The semaphore's file offset: the uprobe `ref_ctr_offset`. */
  readonly semaphoreOffset?: FileOffset;
  /** The raw argument spec string. */
  readonly argumentSpec: string;
  readonly args: readonly UsdtArgument[];
}

/** Splits an argument spec on blanks, keeping `[sp, 12]` (arm64) together. */
export function parseUsdtArguments(spec: string): UsdtArgument[] {
  const out: UsdtArgument[] = [];
  const re = /(-?\d+)@((?:\[[^\]]*\]|[^\s[])+)/g;
  for (let m = re.exec(spec); m !== null; m = re.exec(spec)) {
    const n = Number(m[1]);
    out.push({ size: Math.abs(n), signed: n < 0, location: m[2]! });
  }
  return out;
}

export function parseUsdtNotes(
  src: ByteSource,
  f: FieldReader,
  notes: readonly ElfNote[],
  baseSectionAddress: bigint | undefined,
  segments: readonly ElfProgramHeader[],
): UsdtProbe[] {
  const w = f.layout.is64 ? 8 : 4;
  const out: UsdtProbe[] = [];
  for (const note of notes) {
    if (note.name !== 'stapsdt' || note.type !== 3) continue;
    const d = note.descriptor;
    if (d.length < 3 * w + 2) throw malformed(src.name, `USDT note descriptor too short (${d.length} bytes)`);
    const dv = view(d);
    const pc = f.word(dv, 0);
    const base = f.word(dv, w);
    const sema = f.word(dv, 2 * w);
    const strings: string[] = [];
    let p = 3 * w;
    for (let k = 0; k < 3 && p < d.length; k++) {
      const end = d.indexOf(0, p);
      if (end < 0) throw malformed(src.name, `USDT note string at descriptor offset ${p} is not NUL-terminated`);
      strings.push(d.toString('utf8', p, end));
      p = end + 1;
    }
    const [provider = '', name = '', argumentSpec = ''] = strings;
    if (provider === '' || name === '') throw malformed(src.name, `USDT note at ${hex(pc)} lacks a provider or name`);

    // Prelink may move the binary; the note's base and the section's address tell by how much.
    const location = baseSectionAddress !== undefined && base !== 0n ? BigInt.asUintN(64, pc + baseSectionAddress - base) : pc;
    const seg = loadSegmentFor(segments, location);
    if (!seg || !(seg.flags & SegmentFlags.Execute)) {
      throw malformed(src.name, `USDT probe ${provider}:${name} at ${hex(location)} is not inside an executable PT_LOAD segment`);
    }
    let semaphoreFields = {};
    if (sema !== 0n) {
      const sseg = loadSegmentFor(segments, sema);
      if (!sseg || sseg.flags & SegmentFlags.Execute) {
        throw malformed(src.name, `USDT probe ${provider}:${name}: semaphore ${hex(sema)} is not inside a writable PT_LOAD segment`);
      }
      semaphoreFields = {
        semaphore: sema as VirtualAddress,
        semaphoreOffset: (sema - sseg.virtualAddress + sseg.offset) as FileOffset,
      };
    }
    out.push({
      provider,
      name,
      location: location as VirtualAddress,
      locationOffset: (location - seg.virtualAddress + seg.offset) as FileOffset,
      noteLocation: pc as VirtualAddress,
      base: base as VirtualAddress,
      ...semaphoreFields,
      argumentSpec,
      args: parseUsdtArguments(argumentSpec),
    });
  }
  return out;
}
