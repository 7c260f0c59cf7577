import { SymbolType } from './constants.js';
import { isPlaceable } from './symbol.js';
import type { SymbolRef } from './symbol-search.js';
import type { SymbolTable } from './symbol-table.js';

/** Sized symbols sorted by address, relative to the lowest one; `maxEnd` is a running maximum of `end`. */
export interface AddressIndex {
  readonly min: bigint;
  readonly refs: SymbolRef[];
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly maxEnd: Float64Array;
}

/** The address index over the sized, placeable symbols of `tables`. */
export function buildAddressIndex(tables: readonly (SymbolTable | null)[]): AddressIndex {
  const refs: SymbolRef[] = [];
  let min: bigint | undefined;
  for (const t of tables) {
    if (!t) continue;
    for (let i = 1; i < t.count; i++) {
      const info = t.info(i);
      const type = info & 0xf;
      if (type === SymbolType.Section || type === SymbolType.File || !isPlaceable(t.sectionIndex(i), type)) continue;
      if (t.approxSize(i) === 0) continue;
      refs.push({ t, i });
      const v = t.value(i);
      if (min === undefined || v < min) min = v;
    }
  }
  const base = min ?? 0n;
  // Offsets from the lowest address are small enough for exact float arithmetic.
  const rel = refs.map((r) => Number(r.t.value(r.i) - base));
  const order = refs.map((_, k) => k).sort((a, b) => rel[a]! - rel[b]!);
  const n = order.length;
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const maxEnd = new Float64Array(n);
  const sorted: SymbolRef[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const r = refs[order[k]!]!;
    sorted[k] = r;
    start[k] = rel[order[k]!]!;
    end[k] = start[k]! + Number(r.t.size(r.i));
    maxEnd[k] = Math.max(end[k]!, k > 0 ? maxEnd[k - 1]! : 0);
  }
  return { min: base, refs: sorted, start, end, maxEnd };
}

/** The innermost symbols covering `va` (aliases of one another), or [] when none does. */
export function symbolsCovering(idx: AddressIndex, va: bigint): SymbolRef[] {
  if (va < idx.min || idx.refs.length === 0) return [];
  const a = Number(va - idx.min);
  let lo = 0;
  let hi = idx.refs.length - 1;
  if (idx.start[0]! > a) return [];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (idx.start[mid]! <= a) lo = mid;
    else hi = mid - 1;
  }
  const hits: SymbolRef[] = [];
  let innermost = -1;
  for (let k = lo; k >= 0 && idx.maxEnd[k]! > a; k--) {
    if (idx.end[k]! <= a) continue;
    if (innermost >= 0 && idx.start[k]! < innermost) continue;
    if (idx.start[k]! > innermost) hits.length = 0;
    innermost = idx.start[k]!;
    hits.push(idx.refs[k]!);
  }
  return hits;
}
