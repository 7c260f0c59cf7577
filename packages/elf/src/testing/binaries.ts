/**
 * Test helpers: build small C programs with gcc into a temp dir, and parse readelf output as the
 * independent oracle for symbol values, segments and notes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Workdir {
  readonly dir: string;
  /** Compiles `source` with gcc and the given flags; returns the output path. */
  cc(name: string, source: string, flags?: readonly string[]): string;
  remove(): void;
}

export function workdir(): Workdir {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-elf-'));
  return {
    dir,
    cc(name, source, flags = []) {
      const src = join(dir, `${name}.c`);
      const out = join(dir, name);
      writeFileSync(src, source);
      execFileSync('gcc', ['-O1', '-g0', ...flags, '-o', out, src], { stdio: 'pipe' });
      return out;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ReadelfSymbol {
  readonly index: number;
  readonly value: bigint;
  readonly size: bigint;
  readonly type: string;
  readonly bind: string;
  readonly ndx: string;
  /** As readelf prints it, with `@VERSION` / `@@VERSION` for .dynsym. */
  readonly name: string;
}

/** `readelf -sW` for one table ('.symtab' or '.dynsym'). */
export function readelfSymbols(path: string, table: '.symtab' | '.dynsym'): ReadelfSymbol[] {
  const text = execFileSync('readelf', ['-sW', table === '.dynsym' ? '--dyn-syms' : '--syms', path], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const out: ReadelfSymbol[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('Symbol table')) {
      inTable = line.includes(`'${table}'`);
      continue;
    }
    if (!inTable) continue;
    const m = /^\s*(\d+):\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s?(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      index: Number(m[1]),
      value: BigInt(`0x${m[2]}`),
      size: BigInt(m[3]!),
      type: m[4]!,
      bind: m[5]!,
      ndx: m[6]!,
      name: m[7]!.replace(/ \(\d+\)$/, ''),
    });
  }
  return out;
}

export interface ReadelfSegment {
  readonly type: string;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly filesz: bigint;
  readonly flags: string;
}

/** `readelf -lW` program headers. */
export function readelfSegments(path: string): ReadelfSegment[] {
  const text = execFileSync('readelf', ['-lW', path], { encoding: 'utf8' });
  const out: ReadelfSegment[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s+([A-Z_]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+([RWE ]+?)\s+0x[0-9a-f]+$/.exec(line);
    if (m) {
      out.push({ type: m[1]!, offset: BigInt(`0x${m[2]}`), vaddr: BigInt(`0x${m[3]}`), filesz: BigInt(`0x${m[4]}`), flags: m[5]!.trim() });
    }
  }
  return out;
}

/** The oracle's vaddr → file offset translation, from readelf's program headers. */
export function oracleOffset(segments: readonly ReadelfSegment[], vaddr: bigint): bigint | undefined {
  const loads = segments.filter((s) => s.type === 'LOAD' && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
  const seg = loads.find((s) => s.flags.includes('E')) ?? loads[0];
  return seg ? vaddr - seg.vaddr + seg.offset : undefined;
}

/** `readelf -n` build ID. */
export function readelfBuildId(path: string): string | undefined {
  const text = execFileSync('readelf', ['-n', path], { encoding: 'utf8' });
  return /Build ID: ([0-9a-f]+)/.exec(text)?.[1];
}

export interface ReadelfUsdt {
  readonly provider: string;
  readonly name: string;
  readonly location: bigint;
  readonly base: bigint;
  readonly semaphore: bigint;
  readonly args: string;
}

/** `readelf -n` stapsdt notes. */
export function readelfUsdt(path: string): ReadelfUsdt[] {
  const text = execFileSync('readelf', ['-nW', path], { encoding: 'utf8' });
  const out: ReadelfUsdt[] = [];
  const re = /Provider: (\S+)\s+Name: (\S+)\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\s+Arguments: ?([^\n]*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({
      provider: m[1]!,
      name: m[2]!,
      location: BigInt(`0x${m[3]}`),
      base: BigInt(`0x${m[4]}`),
      semaphore: BigInt(`0x${m[5]}`),
      args: m[6]!.trim(),
    });
  }
  return out;
}

/** The bytes objdump shows at a virtual address (an oracle for the file offset translation). */
export function objdumpBytes(path: string, vaddr: bigint, length: number): Buffer {
  const text = execFileSync(
    'objdump',
    ['-s', `--start-address=0x${vaddr.toString(16)}`, `--stop-address=0x${(vaddr + BigInt(length)).toString(16)}`, path],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const hexes: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^ ([0-9a-f]+) ((?:[0-9a-f]{2,8} ){1,4})/.exec(line);
    if (m) hexes.push(m[2]!.replace(/ /g, ''));
  }
  return Buffer.from(hexes.join(''), 'hex').subarray(0, length);
}
