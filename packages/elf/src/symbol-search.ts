import { SectionType, SpecialSection, SymbolBinding, SymbolType } from './constants.js';
import { gnuHashLookup } from './gnu-hash.js';
import type { FieldReader } from './header.js';
import type { ElfSection } from './sections.js';
import type { ByteSource } from './source.js';
import type { SymbolContext, SymbolEntries, SymbolTable, SymbolTableKind } from './symbol-table.js';
import type { SymbolVersion } from './versions.js';

/** One entry of one symbol table. */
export type SymbolRef = { readonly t: SymbolEntries; readonly i: number };

/** What the search engine reads through its ElfFile. */
export interface SearchHost {
  readonly src: ByteSource;
  readonly fields: FieldReader;
  readonly ctx: SymbolContext;
  sections(): readonly ElfSection[];
  /** `bulk`: every name will be read (see ElfFile's table cache). */
  table(kind: SymbolTableKind, bulk: boolean): SymbolTable | null;
  version(index: number): SymbolVersion | undefined;
}

/** Byte-search lookups are cheap but linear; after this many, one name index pays for itself. */
const LOOKUPS_BEFORE_INDEX = 4;

const FUNC_LIKE = new Set<number>([SymbolType.Func, SymbolType.GnuIfunc]);

function bindingRank(b: number): number {
  return b === SymbolBinding.Global || b === SymbolBinding.GnuUnique ? 2 : b === SymbolBinding.Weak ? 1 : 0;
}

interface Query {
  readonly literal: string;
  /** For `name@VER` / `name@@VER`: the base name, the version, and whether it must be the default. */
  readonly base?: string;
  readonly version?: string;
  readonly requireDefault?: boolean;
}

function parseQuery(name: string): Query {
  const at = name.indexOf('@');
  if (at <= 0) return { literal: name };
  const dbl = name[at + 1] === '@';
  const version = name.slice(at + (dbl ? 2 : 1));
  if (version === '' || version.includes('@')) return { literal: name };
  return { literal: name, base: name.slice(0, at), version, requireDefault: dbl };
}

/** A name lookup's outcome: the best defined match, or the undefined (imported) entries seen. */
export interface SearchResult {
  readonly found?: SymbolRef;
  readonly imported: readonly SymbolRef[];
}

/**
 * Symbol lookup by name: through .gnu.hash for exported symbols, by byte search of the string
 * tables for the first few lookups, then through one name index built from both tables.
 */
export class SymbolSearch {
  readonly #host: SearchHost;
  #lookups = 0;
  #index: Map<string, number | number[]> | undefined;

  constructor(host: SearchHost) {
    this.#host = host;
  }

  /** `.dynsym` first, then `.symtab`; `name@VER` and `name@@VER` select a GNU version. */
  find(name: string): SearchResult {
    const q = parseQuery(name);
    if (this.#index === undefined && ++this.#lookups > LOOKUPS_BEFORE_INDEX) this.#index = this.#buildIndex();
    const search = (kind: SymbolTableKind) => (this.#index ? this.#searchByIndex(kind, q) : this.#searchByBytes(kind, q));
    // Exported functions are found through .gnu.hash without loading .dynsym or .dynstr.
    const hashed = this.#index ? undefined : this.#hashSearch(q);
    if (hashed) {
      const found = this.best(hashed);
      if (found) return { found, imported: [] };
    }
    const imported: SymbolRef[] = [];
    for (const kind of hashed ? (['symtab', 'dynsym'] as const) : (['dynsym', 'symtab'] as const)) {
      const refs = search(kind);
      const found = this.best(refs.filter((r) => r.t.sectionIndex(r.i) !== SpecialSection.Undefined));
      if (found) return { found, imported: [] };
      imported.push(...refs);
    }
    return { imported };
  }

  /** Of several entries (aliases), the one cilium would pick: global over weak over local, functions, default versions. */
  best(refs: readonly SymbolRef[]): SymbolRef | undefined {
    let best: SymbolRef | undefined;
    let bestScore = -1;
    for (const r of refs) {
      const info = r.t.info(r.i);
      let score = bindingRank(info >> 4) * 4 + (FUNC_LIKE.has(info & 0xf) ? 2 : 0);
      if (r.t.kind === 'dynsym' && !this.#host.version(r.i)?.hidden) score += 1;
      if (score > bestScore) {
        best = r;
        bestScore = score;
      }
    }
    return best;
  }

  /** Defined .dynsym symbols through .gnu.hash; undefined when the file has no usable hash table. */
  #hashSearch(q: Query): SymbolRef[] | undefined {
    const h = this.#host;
    const sections = h.sections();
    const hash = sections.find((s) => s.type === SectionType.GnuHash);
    const dynsym = sections.find((s) => s.type === SectionType.DynSym);
    if (!hash || !dynsym || hash.link !== dynsym.index || hash.size === 0n) return undefined;
    const dynstr = sections[dynsym.link];
    if (!dynstr || dynsym.link === 0) return undefined;
    const lookup = (name: string) => gnuHashLookup(h.src, h.fields, hash, dynsym, dynstr, Buffer.from(name), h.ctx);
    if (q.base === undefined) return lookup(q.literal).map((t) => ({ t, i: t.index }));
    return lookup(q.base)
      .filter((t) => this.#versionMatches(t.index, q))
      .map((t) => ({ t, i: t.index }));
  }

  #searchByBytes(kind: SymbolTableKind, q: Query): SymbolRef[] {
    const t = this.#host.table(kind, false);
    if (!t) return [];
    const refs: SymbolRef[] = t.find(Buffer.from(q.literal), false).map((i) => ({ t, i }));
    if (q.base !== undefined) {
      if (kind === 'dynsym') {
        for (const i of t.find(Buffer.from(q.base), false)) if (this.#versionMatches(i, q)) refs.push({ t, i });
      }
    } else if (kind === 'symtab') {
      for (const i of t.find(Buffer.from(`${q.literal}@`), true)) refs.push({ t, i });
    }
    return refs;
  }

  #versionMatches(i: number, q: Query): boolean {
    const v = this.#host.version(i);
    return v !== undefined && v.name === q.version && (!q.requireDefault || !v.hidden);
  }

  #buildIndex(): Map<string, number | number[]> {
    const index = new Map<string, number | number[]>();
    const add = (key: string, ref: number) => {
      const cur = index.get(key);
      if (cur === undefined) index.set(key, ref);
      else if (typeof cur === 'number') index.set(key, [cur, ref]);
      else cur.push(ref);
    };
    (['dynsym', 'symtab'] as const).forEach((kind, k) => {
      const t = this.#host.table(kind, true);
      if (!t) return;
      for (let i = 1; i < t.count; i++) {
        const name = t.name(i);
        if (name === '') continue;
        const ref = i * 2 + k;
        add(name, ref);
        const at = name.indexOf('@');
        if (at > 0) add(name.slice(0, at), ref);
      }
    });
    return index;
  }

  #searchByIndex(kind: SymbolTableKind, q: Query): SymbolRef[] {
    const t = this.#host.table(kind, false);
    if (!t) return [];
    const k = kind === 'dynsym' ? 0 : 1;
    const refs: SymbolRef[] = [];
    const collect = (key: string, keep: (i: number, name: string) => boolean) => {
      const hit = this.#index!.get(key);
      if (hit === undefined) return;
      for (const ref of typeof hit === 'number' ? [hit] : hit) {
        if (ref % 2 !== k) continue;
        const i = (ref - k) / 2;
        if (keep(i, t.name(i))) refs.push({ t, i });
      }
    };
    collect(q.literal, (_, name) => name === q.literal || (q.base === undefined && kind === 'symtab' && name.startsWith(`${q.literal}@`)));
    if (q.base !== undefined && kind === 'dynsym') collect(q.base, (i, name) => name === q.base && this.#versionMatches(i, q));
    return refs;
  }
}
