// Proves that `pnpm lint` fails on an import that breaks DESIGN.md's dependency direction:
// eslint.config.js is run on bad and good source text placed in each package, and every bad
// import must be reported by no-restricted-imports (and no good one). Part of `pnpm lint`.
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const eslint = new ESLint({ cwd: root });

const bad = [
  ['packages/elf/src/x.ts', "import koffi from 'koffi';", /only @bpfkit\/sys loads koffi/],
  ['packages/ebpf/src/x.ts', "import koffi from 'koffi';", /only @bpfkit\/sys loads koffi/],
  ['packages/tracefs/src/x.ts', "import * as sys from '@bpfkit/sys';", /must not depend on native code/],
  ['packages/btf/src/x.ts', "import { Program } from '@bpfkit/ebpf';", /must not depend on native code/],
  ['packages/errors/src/x.ts', "import { tracefsPath } from '@bpfkit/tracefs';", /may import only no bpfkit package/],
  ['packages/sys/src/x.ts', "import { Program } from '@bpfkit/ebpf';", /may import only @bpfkit\/errors, @bpfkit\/tracefs/],
  ['packages/ebpf/src/x.ts', "import { attachXDP } from '@bpfkit/link';", /DESIGN.md dependency direction/],
  ['packages/ebpf/src/x.ts', "import { progLoad } from '../../sys/src/prog.js';", /not from its src\//],
  ['packages/link/src/x.ts', "import { FD } from '@bpfkit/sys/src/fd.js';", /not from its src\//],
  ['apps/demo/src/x.ts', "import { Program } from '../../../packages/ebpf/src/program.js';", /not from its src\//],
];
const good = [
  ['packages/elf/src/x.ts', "import { BpfError } from '@bpfkit/errors';"],
  ['packages/sys/src/x.ts', "import koffi from 'koffi';"],
  ['packages/sys/src/x.ts', "import { tracefsPath } from '@bpfkit/tracefs';"],
  ['packages/ebpf/src/x.ts', "import { ElfFile } from '@bpfkit/elf';"],
  ['packages/link/src/x.ts', "import { Program } from '@bpfkit/ebpf';"],
];

/** The rule messages eslint gives `importLine` (its name used, so nothing else is reported) at `file`. */
async function lint(file, importLine) {
  const name = importLine.match(/\{ (\w+) \}|\* as (\w+)|import (\w+)/).slice(1).find(Boolean);
  const [result] = await eslint.lintText(`${importLine}\nexport const use = [${name}];\n`, { filePath: join(root, file) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const failures = [];
for (const [file, line, want] of bad) {
  const got = await lint(file, line);
  if (got.length !== 1 || !got[0].startsWith('no-restricted-imports: ') || !want.test(got[0])) {
    failures.push(`${file}: \`${line}\` should fail with ${want}, got ${JSON.stringify(got)}`);
  }
}
for (const [file, line] of good) {
  const got = await lint(file, line);
  if (got.length) failures.push(`${file}: \`${line}\` should pass, got ${JSON.stringify(got)}`);
}
const thrown = await eslint.lintText("export function f(): never {\n  throw new Error('x');\n}\n", { filePath: join(root, 'packages/sys/src/x.ts') });
if (!thrown[0].messages.some((m) => m.ruleId === 'no-restricted-syntax')) failures.push('a plain Error thrown in library code should fail');

for (const f of failures) console.error(`FAIL ${f}`);
if (failures.length) process.exit(1);
console.log(`ok   lint boundaries: ${bad.length} bad imports fail, ${good.length} allowed ones pass, plain Error refused`);
