import { type FieldReader, view } from './header.js';
import { readString } from './sections.js';
import type { ByteSource } from './source.js';

/** What `.dynamic` says about linking: the libraries a binary imports from. */
export interface DynamicInfo {
  /** DT_NEEDED, in order. */
  readonly needed: readonly string[];
  /** DT_SONAME. */
  readonly soname?: string;
  /** DT_RUNPATH (or the older DT_RPATH), split on `:`. */
  readonly runpath: readonly string[];
}

const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_SONAME = 14n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;

export function parseDynamic(src: ByteSource, f: FieldReader, data: Buffer, strtab: Buffer): DynamicInfo {
  const dv = view(data);
  const es = f.layout.dynSize;
  const w = es / 2;
  const needed: string[] = [];
  let soname: string | undefined;
  let rpath: string | undefined;
  let runpath: string | undefined;
  // Bounded by the section size; DT_NULL ends it early.
  for (let o = 0; o + es <= data.length; o += es) {
    const tag = f.word(dv, o);
    if (tag === DT_NULL) break;
    if (tag !== DT_NEEDED && tag !== DT_SONAME && tag !== DT_RPATH && tag !== DT_RUNPATH) continue;
    const str = readString(src, strtab, Number(f.word(dv, o + w) & 0xffff_ffffn), `dynamic entry at ${o}`);
    if (tag === DT_NEEDED) needed.push(str);
    else if (tag === DT_SONAME) soname = str;
    else if (tag === DT_RPATH) rpath = str;
    else runpath = str;
  }
  const path = runpath ?? rpath;
  return { needed, ...(soname !== undefined && { soname }), runpath: path ? path.split(':').filter(Boolean) : [] };
}
