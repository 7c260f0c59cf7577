import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A freshly compiled executable to put uprobes on, with the file offsets of its symbols. */
export interface Target {
  dir: string;
  path: string;
  /** File offset of the function `bpfkit_target`. */
  functionOffset: bigint;
  /** File offset of the USDT-style semaphore `bpfkit_semaphore` (a ref_ctr_offset). */
  semaphoreOffset: bigint;
  remove(): void;
}

const SOURCE = `
unsigned short bpfkit_semaphore __attribute__((section(".probes"), used));
__attribute__((noinline, used)) int bpfkit_target(int x) { return x * 2 + bpfkit_semaphore; }
int main(int argc, char **argv) { (void)argv; return bpfkit_target(argc) == 0; }
`;

/**
 * File offset of `symbol` in the ELF at `path`, from `nm` (its virtual address) and
 * `readelf -l` (the PT_LOAD segment that maps it): offset = vaddr - p_vaddr + p_offset.
 */
export function fileOffsetOf(path: string, symbol: string): bigint {
  const nm = execFileSync('nm', ['--defined-only', path], { encoding: 'utf8' });
  const line = nm.split('\n').find((l) => l.split(' ')[2] === symbol);
  if (!line) throw new Error(`nm: no symbol ${symbol} in ${path}`);
  const vaddr = BigInt(`0x${line.split(' ')[0]}`);
  const headers = execFileSync('readelf', ['-lW', path], { encoding: 'utf8' });
  for (const l of headers.split('\n')) {
    const f = l.trim().split(/\s+/);
    if (f[0] !== 'LOAD') continue;
    const [offset, segVaddr, , fileSize] = f.slice(1, 5).map((x) => BigInt(x));
    if (vaddr >= segVaddr! && vaddr < segVaddr! + fileSize!) return vaddr - segVaddr! + offset!;
  }
  throw new Error(`readelf: no PT_LOAD segment of ${path} holds ${symbol} at 0x${vaddr.toString(16)}`);
}

/** Compiles the target with gcc into a new temporary directory. */
export function buildTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-tracefs-'));
  const source = join(dir, 'target.c');
  const path = join(dir, 'target');
  writeFileSync(source, SOURCE);
  execFileSync('gcc', ['-O1', '-o', path, source], { stdio: 'pipe' });
  return {
    dir,
    path,
    functionOffset: fileOffsetOf(path, 'bpfkit_target'),
    semaphoreOffset: fileOffsetOf(path, 'bpfkit_semaphore'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
