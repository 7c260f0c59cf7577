import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's clang (scripts/setup.sh installs clang-19); BPFKIT_CLANG overrides it. */
const CLANG = process.env.BPFKIT_CLANG ?? 'clang-19';
const MULTIARCH = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
const TARGET_ARCH = process.arch === 'arm64' ? 'arm64' : 'x86';

/**
 * Compile a C BPF program the way users do (`clang -O2 -g -target bpf -c`) against libbpf-dev's
 * headers, in a fresh temporary directory; returns the object's bytes. `headers` are written
 * beside the source (for `#include "name.h"`).
 */
export function compileBpf(source: string, headers: Record<string, string> = {}): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-clang-'));
  try {
    for (const [name, text] of Object.entries(headers)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'prog.bpf.c'), source);
    execFileSync(
      CLANG,
      ['-O2', '-g', '-target', 'bpf', `-D__TARGET_ARCH_${TARGET_ARCH}`, `-I/usr/include/${MULTIARCH}`, `-I${dir}`, '-c', 'prog.bpf.c', '-o', 'prog.o'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return readFileSync(join(dir, 'prog.o'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
