import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@bpfkit/errors';
import { ElfFile, parseUsdtArguments } from './index.js';
import { oracleOffset, readelfSegments, readelfUsdt, workdir, type Workdir } from './testing/binaries.js';

const SOURCE = `
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
unsigned short demo_ready_semaphore __attribute__((unused, section(".probes")));
unsigned short demo_plain_semaphore __attribute__((unused, section(".probes")));
__attribute__((noinline)) int work(int a, long b) {
  DTRACE_PROBE2(demo, ready, a, b);
  DTRACE_PROBE(demo, plain);
  return a + (int)b;
}
int main(int argc, char **argv) { (void)argv; return work(argc, 42L) == 0; }
`;

describe('USDT probes (<sys/sdt.h>)', () => {
  let w: Workdir;
  let exe: string;
  let lib: string;
  beforeAll(() => {
    w = workdir();
    exe = w.cc('usdt', SOURCE, ['-fPIE', '-pie', '-Wl,--section-start=.text=0x40000']);
    lib = w.cc('libusdt.so', SOURCE.replace('int main', 'int unused_main'), ['-fPIC', '-shared']);
  });
  afterAll(() => w.remove());

  for (const which of ['executable', 'shared library'] as const) {
    it(`matches readelf -n and lands on the probe's nop (${which})`, () => {
      const path = which === 'executable' ? exe : lib;
      using elf = ElfFile.open(path);
      const probes = elf.usdtProbes();
      const oracle = readelfUsdt(path);
      expect(oracle.length).toBe(2);
      expect(probes.length).toBe(oracle.length);
      const segments = readelfSegments(path);
      const bytes = readFileSync(path);
      for (const [i, o] of oracle.entries()) {
        const p = probes[i]!;
        expect([p.provider, p.name, p.noteLocation, p.base, p.semaphore ?? 0n, p.argumentSpec]).toEqual([
          o.provider,
          o.name,
          o.location,
          o.base,
          o.semaphore,
          o.args,
        ]);
        expect(p.location).toBe(o.location); // no prelink: the base section did not move
        expect(p.locationOffset).toBe(oracleOffset(segments, o.location));
        expect(bytes[Number(p.locationOffset)]).toBe(0x90); // the probe site is a nop
      }
      const ready = probes.find((p) => p.name === 'ready')!;
      expect(ready.args).toHaveLength(2);
      expect(ready.args[0]).toMatchObject({ size: 4, signed: true });
      expect(ready.args[1]).toMatchObject({ size: 8, signed: true });
      expect(ready.semaphoreOffset).toBeDefined();
      const sym = elf.symbol('demo_ready_semaphore');
      expect(ready.semaphore).toBe(sym.value);
      expect(ready.semaphoreOffset).toBe(sym.offset);
    });
  }

  it('adjusts locations by .stapsdt.base like libbpf (prelinked binaries)', () => {
    // Pretend the file was prelinked: the notes remember a base 0x1000 lower than .stapsdt.base.
    const bytes = Buffer.from(readFileSync(exe));
    using orig = ElfFile.open(exe);
    const notes = orig.section('.note.stapsdt')!;
    const probes = orig.usdtProbes();
    let off = Number(notes.offset);
    for (const p of probes) {
      // Elf64_Nhdr (12) + "stapsdt\\0" (8): pc, base, semaphore follow.
      const desc = off + 20;
      expect(bytes.readBigUInt64LE(desc)).toBe(p.noteLocation);
      bytes.writeBigUInt64LE(p.noteLocation - 0x1000n, desc);
      bytes.writeBigUInt64LE(p.base - 0x1000n, desc + 8);
      off = desc + bytes.readUInt32LE(off + 4);
      off = Math.ceil(off / 4) * 4;
    }
    using moved = ElfFile.fromBuffer(bytes);
    const adjusted = moved.usdtProbes();
    expect(adjusted.map((p) => p.noteLocation)).toEqual(probes.map((p) => p.noteLocation - 0x1000n));
    expect(adjusted.map((p) => p.location)).toEqual(probes.map((p) => p.location));
    expect(adjusted.map((p) => p.locationOffset)).toEqual(probes.map((p) => p.locationOffset));
  });

  it('a file without probes has none', () => {
    using elf = ElfFile.open('/usr/bin/node');
    expect(elf.usdtProbes()).toEqual([]);
  });

  it('parses argument specs of several architectures', () => {
    expect(parseUsdtArguments('-4@%edi 8@-8(%rbp) 4@$71')).toEqual([
      { size: 4, signed: true, location: '%edi' },
      { size: 8, signed: false, location: '-8(%rbp)' },
      { size: 4, signed: false, location: '$71' },
    ]);
    expect(parseUsdtArguments('-4@[sp, 12] 8@x1')).toEqual([
      { size: 4, signed: true, location: '[sp, 12]' },
      { size: 8, signed: false, location: 'x1' },
    ]);
    expect(parseUsdtArguments('')).toEqual([]);
  });

  it('a truncated note is a typed error naming the offset', () => {
    const bytes = Buffer.from(readFileSync(exe));
    using orig = ElfFile.open(exe);
    const notes = orig.section('.note.stapsdt')!;
    bytes.writeUInt32LE(0x7fff_0000, Number(notes.offset) + 4); // descsz far past the section
    using bad = ElfFile.fromBuffer(bytes);
    expect(() => bad.usdtProbes()).toThrow(InvalidArgumentError);
    expect(() => bad.usdtProbes()).toThrow(/note at 0x0 in \.note\.stapsdt/);
  });
});
