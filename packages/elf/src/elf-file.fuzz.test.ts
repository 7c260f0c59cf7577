import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfError } from '@bpfkit/errors';
import { ElfFile, resolveLibrary } from './index.js';
import { workdir, type Workdir } from './testing/binaries.js';

/** xorshift32: reproducible mutations (the failing seed and iteration are in the message). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** The byte ranges worth mutating: headers, tables and the sections the readers parse. */
function structuralRanges(bytes: Buffer): [number, number][] {
  using elf = ElfFile.fromBuffer(bytes);
  const ranges: [number, number][] = [[0, 64]];
  const ph = elf.programHeaders;
  if (ph.length) ranges.push([64, 64 + ph.length * 56]);
  const shoff = Number(bytes.readBigUInt64LE(40));
  ranges.push([shoff, shoff + elf.sections.length * 64]);
  const wanted = /^\.(dynsym|dynstr|symtab|strtab|shstrtab|gnu\.hash|gnu\.version.*|dynamic|note.*|gnu_debuglink)$/;
  for (const s of elf.sections) {
    if (!wanted.test(s.name) || s.type === 8) continue;
    const start = Number(s.offset);
    ranges.push([start, start + Math.min(Number(s.size), 8192)]);
  }
  return ranges;
}

type Op = (elf: ElfFile) => unknown;

/** The cursor walk, capped per table, with every field and a copy read. */
function walkCursor(e: ElfFile): unknown[] {
  const out: unknown[] = [];
  for (const table of ['symtab', 'dynsym'] as const) {
    let n = 0;
    e.forEachSymbol(
      (s) => {
        out.push([s.name, s.value, s.valueBig, s.size, s.sizeBig, s.type, s.binding, s.visibility, s.sectionIndex, s.toSymbol().offset]);
        return ++n < 400;
      },
      { table },
    );
  }
  return out;
}

const FULL: Op[] = [
  (e) => e.sections,
  (e) => e.programHeaders,
  (e) => e.symbols().slice(0, 400).map((s) => [s.name, s.offset, s.section, s.size]),
  (e) => e.dynamicSymbols().slice(0, 400).map((s) => [s.name, s.offset, s.version, s.section]),
  walkCursor,
  (e) => e.symbol('main'),
  (e) => e.symbol('memcpy'),
  (e) => e.symbol('memcpy@@GLIBC_2.14'),
  (e) => e.symbolAt(e.entry),
  (e) => e.buildId,
  (e) => e.debugLink,
  (e) => e.dynamic,
  (e) => e.notes(),
  (e) => e.usdtProbes(),
  (e) => e.fileOffset(e.entry),
];

const LIGHT: Op[] = [
  (e) => e.sections,
  (e) => e.programHeaders,
  (e) => e.symbol('uv_run').offset,
  walkCursor,
  (e) => e.buildId,
  (e) => e.dynamic,
  (e) => e.usdtProbes(),
  (e) => e.fileOffset(e.entry),
];

/** Mutates `bytes` in place `iterations` times, runs the readers, restores; returns how many ops failed typed. */
function fuzz(label: string, bytes: Buffer, iterations: number, ops: Op[], seed: number): { typed: number; ok: number } {
  const ranges = structuralRanges(bytes);
  const next = rng(seed);
  const counts = { typed: 0, ok: 0 };
  for (let it = 0; it < iterations; it++) {
    const saved: [number, number][] = [];
    const edits = 1 + (next() % 6);
    for (let k = 0; k < edits; k++) {
      const [a, b] = ranges[next() % ranges.length]!;
      if (b <= a) continue;
      const at = a + (next() % (b - a));
      const width = [1, 1, 2, 4, 8][next() % 5]!;
      const value = [0x00, 0xff, next() & 0xff, 0x7f, 0x80][next() % 5]!;
      for (let j = 0; j < width && at + j < bytes.length; j++) {
        saved.push([at + j, bytes[at + j]!]);
        bytes[at + j] = value;
      }
    }
    try {
      let elf: ElfFile | undefined;
      try {
        elf = ElfFile.fromBuffer(bytes);
      } catch (err) {
        if (!(err instanceof BpfError)) throw err;
        counts.typed++;
      }
      for (const op of elf ? ops : []) {
        try {
          op(elf!);
          counts.ok++;
        } catch (err) {
          if (!(err instanceof BpfError)) throw err;
          counts.typed++;
        }
      }
    } catch (err) {
      throw new Error(`${label}: seed ${seed} iteration ${it}: untyped ${String(err)}`, { cause: err });
    } finally {
      for (const [at, v] of saved.reverse()) bytes[at] = v;
    }
  }
  return counts;
}

describe('fuzzing real binaries', () => {
  let w: Workdir;
  let small: Buffer;
  beforeAll(() => {
    w = workdir();
    small = readFileSync(
      w.cc('fuzzme', '#include <stdio.h>\nint f(int x){return x+1;}\nint main(void){printf("%d", f(1));return 0;}', ['-rdynamic']),
    );
  });
  afterAll(() => w.remove());

  it('a small gcc binary: 4000 mutations, typed errors or valid results only', () => {
    const r = fuzz('small', small, 4000, FULL, 0x5eed);
    expect(r.typed).toBeGreaterThan(0);
    expect(r.ok).toBeGreaterThan(0);
  });

  it('libc: 1000 mutations', () => {
    const r = fuzz('libc', Buffer.from(readFileSync(resolveLibrary('libc.so.6'))), 1000, FULL, 0xc0ffee);
    expect(r.typed).toBeGreaterThan(0);
    expect(r.ok).toBeGreaterThan(0);
  });

  it('/usr/bin/node: 200 mutations of its headers and tables', () => {
    const r = fuzz('node', readFileSync('/usr/bin/node'), 200, LIGHT, 0xb16);
    expect(r.typed).toBeGreaterThan(0);
    expect(r.ok).toBeGreaterThan(0);
  });
});
