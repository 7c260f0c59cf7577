import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A C program with one USDT probe, bpfkit_demo:tick, hit `argv[1]` times. The probe is written
 * out as the nop and .note.stapsdt entry that <sys/sdt.h>'s STAP_PROBE expands to, so only a C
 * compiler is needed.
 */
const SOURCE = String.raw`
#include <stdlib.h>
__attribute__((noinline)) static void tick(void) {
  __asm__ __volatile__(
    "990: nop\n"
    ".pushsection .note.stapsdt,\"?\",\"note\"\n"
    ".balign 4\n"
    ".4byte 992f-991f, 994f-993f, 3\n"
    "991: .asciz \"stapsdt\"\n"
    "992: .balign 4\n"
    "993: .8byte 990b\n"
    ".8byte _.stapsdt.base\n"
    ".8byte 0\n"
    ".asciz \"bpfkit_demo\"\n"
    ".asciz \"tick\"\n"
    ".asciz \"\"\n"
    "994: .balign 4\n"
    ".popsection\n"
    ".ifndef _.stapsdt.base\n"
    ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"
    ".weak _.stapsdt.base\n"
    ".hidden _.stapsdt.base\n"
    "_.stapsdt.base: .space 1\n"
    ".size _.stapsdt.base, 1\n"
    ".popsection\n"
    ".endif\n");
}
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1;
  for (int i = 0; i < n; i++) tick();
  return 0;
}
`;

export const USDT_PROVIDER = 'bpfkit_demo';
export const USDT_NAME = 'tick';

/** Compiles the target into `dir`; says what is missing when there is no C compiler. */
export function buildUsdtTarget(dir: string): string {
  const src = join(dir, 'usdt-target.c');
  const exe = join(dir, 'usdt-target');
  writeFileSync(src, SOURCE);
  try {
    execFileSync('cc', ['-O2', '-o', exe, src], { stdio: 'pipe' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = e.code === 'ENOENT' ? 'no C compiler (cc) found; `npm run setup` installs gcc' : `cc failed: ${e.stderr?.toString().trim() ?? e.message}`;
    throw new Error(`building the USDT target: ${why}`, { cause: err });
  }
  return exe;
}
