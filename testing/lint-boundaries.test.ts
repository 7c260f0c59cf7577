import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The repository's eslint.config.js, run on source text placed at `file`. */
async function lint(file: string, text: string): Promise<string[]> {
  const cwd = join(dirname(fileURLToPath(import.meta.url)), '..');
  const [result] = await new ESLint({ cwd }).lintText(text, { filePath: join(cwd, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('pnpm lint: the import boundaries of DESIGN.md', () => {
  it.each([
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
  ])('%s: %s fails', async (file, text, message) => {
    const messages = await lint(file, `${text}\nexport const use = [${text.match(/\{ (\w+) \}|\* as (\w+)|import (\w+)/)!.slice(1).find(Boolean)}];\n`);
    expect(messages).toEqual([expect.stringMatching(message)]);
    expect(messages[0]).toMatch(/^no-restricted-imports: /);
  });

  it.each([
    ['packages/elf/src/x.ts', "import { BpfError } from '@bpfkit/errors';"],
    ['packages/sys/src/x.ts', "import koffi from 'koffi';"],
    ['packages/sys/src/x.ts', "import { tracefsPath } from '@bpfkit/tracefs';"],
    ['packages/ebpf/src/x.ts', "import { ElfFile } from '@bpfkit/elf';"],
    ['packages/link/src/x.ts', "import { Program } from '@bpfkit/ebpf';"],
  ])('%s: %s passes', async (file, text) => {
    expect(await lint(file, `${text}\nexport const use = [${text.match(/\{ (\w+) \}|import (\w+)/)!.slice(1).find(Boolean)}];\n`)).toEqual([]);
  });

  it('library code may not throw a plain Error', async () => {
    expect(await lint('packages/sys/src/x.ts', "export function f(): never {\n  throw new Error('x');\n}\n")).toEqual([
      expect.stringMatching(/^no-restricted-syntax: throw a typed error/),
    ]);
  });
});
