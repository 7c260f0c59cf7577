import { type FieldReader, view } from './header.js';
import { hex, malformed } from './malformed.js';
import type { ByteSource } from './source.js';

/** The symbol version of a `.dynsym` entry (GNU symbol versioning). */
export interface SymbolVersion {
  /** e.g. `GLIBC_2.14`. */
  readonly name: string;
  /** A non-default version: `memcpy@GLIBC_2.2.5` (hidden) versus `memcpy@@GLIBC_2.14` (default). */
  readonly hidden: boolean;
  /** For imported symbols: the library the version requirement names (`libc.so.6`). */
  readonly library?: string;
}

export interface VersionDefinition {
  readonly name: string;
  readonly library?: string;
}

const VER_FLG_BASE = 1;

/** Reads the string at an offset of the linked string table. */
export type StringAt = (offset: number, what: string) => string;

/**
 * Walks a verdef/verneed chain. Hostile `*_next` fields can point backwards or outside the
 * section: every offset is bounds-checked and visited at most once.
 */
function walk(src: ByteSource, data: Buffer, what: string, entrySize: number, next: (off: number) => number, visit: (off: number) => void): void {
  const seen = new Set<number>();
  let off = 0;
  while (true) {
    if (off + entrySize > data.length) throw malformed(src.name, `${what} entry at ${hex(off)} extends past its section (${data.length} bytes)`);
    if (seen.has(off)) throw malformed(src.name, `${what} chain loops back to ${hex(off)}`);
    seen.add(off);
    visit(off);
    const step = next(off);
    if (step === 0) return;
    off += step;
  }
}

/** Version index → name, from `.gnu.version_d` (definitions) and `.gnu.version_r` (requirements). */
export function parseVersions(
  src: ByteSource,
  f: FieldReader,
  verdef: { data: Buffer; string: StringAt } | undefined,
  verneed: { data: Buffer; string: StringAt } | undefined,
): Map<number, VersionDefinition> {
  const out = new Map<number, VersionDefinition>();
  if (verdef) {
    const dv = view(verdef.data);
    walk(src, verdef.data, 'version definition', 20, (o) => f.u32(dv, o + 16), (o) => {
      const flags = f.u16(dv, o + 2);
      const index = f.u16(dv, o + 4);
      const count = f.u16(dv, o + 6);
      const aux = o + f.u32(dv, o + 12);
      if (count === 0 || flags & VER_FLG_BASE) return;
      if (aux + 8 > verdef.data.length) throw malformed(src.name, `version definition aux at ${hex(aux)} outside its section`);
      out.set(index, { name: verdef.string(f.u32(dv, aux), `version definition ${index}`) });
    });
  }
  if (verneed) {
    const dv = view(verneed.data);
    walk(src, verneed.data, 'version requirement', 16, (o) => f.u32(dv, o + 12), (o) => {
      const count = f.u16(dv, o + 2);
      const library = verneed.string(f.u32(dv, o + 4), 'version requirement file');
      let aux = o + f.u32(dv, o + 8);
      const seen = new Set<number>();
      for (let k = 0; k < count; k++) {
        if (aux + 16 > verneed.data.length) throw malformed(src.name, `version requirement aux at ${hex(aux)} outside its section`);
        if (seen.has(aux)) throw malformed(src.name, `version requirement aux chain loops back to ${hex(aux)}`);
        seen.add(aux);
        const index = f.u16(dv, aux + 6);
        out.set(index, { name: verneed.string(f.u32(dv, aux + 8), `version requirement ${index}`), library });
        const step = f.u32(dv, aux + 12);
        if (step === 0) break;
        aux += step;
      }
    });
  }
  return out;
}
