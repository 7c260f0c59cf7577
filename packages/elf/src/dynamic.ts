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

/** The `d_tag` values bpfkit reads (elf.h). */
export const DynamicTag = { Null: 0n, Needed: 1n, StrTab: 5n, StrSz: 10n, SoName: 14n, RPath: 15n, RunPath: 29n } as const;

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
    if (tag === DynamicTag.Null) break;
    if (tag !== DynamicTag.Needed && tag !== DynamicTag.SoName && tag !== DynamicTag.RPath && tag !== DynamicTag.RunPath) continue;
    const str = readString(src, strtab, Number(f.word(dv, o + w) & 0xffff_ffffn), `dynamic entry at ${o}`);
    if (tag === DynamicTag.Needed) needed.push(str);
    else if (tag === DynamicTag.SoName) soname = str;
    else if (tag === DynamicTag.RPath) rpath = str;
    else runpath = str;
  }
  const path = runpath ?? rpath;
  return { needed, ...(soname !== undefined && { soname }), runpath: path ? path.split(':').filter(Boolean) : [] };
}

/**
 * DT_STRTAB (a virtual address) and DT_STRSZ from a PT_DYNAMIC segment's entries, for files
 * without section headers; undefined when either is missing.
 */
export function dynamicStringTable(f: FieldReader, data: Buffer): { address: bigint; size: bigint } | undefined {
  const dv = view(data);
  const es = f.layout.dynSize;
  let address: bigint | undefined;
  let size: bigint | undefined;
  for (let o = 0; o + es <= data.length; o += es) {
    const tag = f.word(dv, o);
    if (tag === DynamicTag.Null) break;
    if (tag === DynamicTag.StrTab) address = f.word(dv, o + es / 2);
    if (tag === DynamicTag.StrSz) size = f.word(dv, o + es / 2);
  }
  return address === undefined || size === undefined ? undefined : { address, size };
}
