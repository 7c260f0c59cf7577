// The README examples, as a new user meets them: for each package README, a scratch ESM project
// installs with npm only the packed packages its install line names (npm fetches the rest of a
// published package's dependencies itself; here their tarballs stand in for the registry), then
// every ts/js code block is type-checked with tsc (strict, noUnusedLocals, against the published
// .d.ts files) and run with node, as root, each within a time bound. Used by check-packages.mjs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The packages whose README examples are checked (link's README is written with link). */
export const README_PACKAGES = ['errors', 'sys', 'elf', 'tracefs', 'netlink', 'btf', 'ebpf'];

const RUN_TIMEOUT_MS = 60_000;

/** The fenced blocks of a Markdown file: `{ lang, code }`. */
export function codeBlocks(markdown) {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], code: m[2] }));
}

/** The packages an `npm i ...` / `npm install ...` line in the README's sh blocks names. */
export function installedByReadme(blocks) {
  const names = [];
  for (const b of blocks.filter((b) => b.lang === 'sh')) {
    for (const m of b.code.matchAll(/^npm (?:i|install) (.+)$/gm)) names.push(...m[1].trim().split(/\s+/).filter((w) => !w.startsWith('-')));
  }
  return names;
}

/** Links an npm package page cannot follow: relative ones (out of the package or to its files). */
export function unresolvableLinks(markdown) {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((href) => !/^(https?:|mailto:|#)/.test(href));
}

/** `@bpfkit/x` and its bpfkit dependencies, from the packed manifests. */
function withBpfkitDeps(names, manifests) {
  const out = new Set();
  const visit = (n) => {
    if (out.has(n)) return;
    out.add(n);
    for (const dep of Object.keys(manifests.get(n)?.dependencies ?? {})) if (dep.startsWith('@bpfkit/')) visit(dep);
  };
  names.forEach(visit);
  return [...out];
}

export function checkReadmeExamples({ root, work, tarballs, fail, log }) {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const manifests = new Map(
    [...tarballs].map(([name, tgz]) => [name, JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }))]),
  );
  const isRoot = process.getuid?.() === 0;
  for (const pkg of README_PACKAGES) {
    const name = `@bpfkit/${pkg}`;
    const before = fail.count();
    const markdown = readFileSync(join(root, 'packages', pkg, 'README.md'), 'utf8');
    for (const href of unresolvableLinks(markdown)) fail(`${name} README: link ${href} does not resolve on the npm page`);
    const blocks = codeBlocks(markdown);
    const install = installedByReadme(blocks);
    if (!install.includes(name)) fail(`${name} README: no \`npm i ${name}\` line`);
    const examples = blocks.filter((b) => b.lang === 'ts' || b.lang === 'js');
    for (const ex of examples) {
      for (const m of ex.code.matchAll(/from '(@bpfkit\/[\w-]+)'/g)) {
        if (!install.includes(m[1])) fail(`${name} README: an example imports ${m[1]}, which its install line does not install`);
      }
    }
    if (examples.length === 0) continue;
    const dir = join(work, `readme-${pkg}`);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `readme-${pkg}`, version: '1.0.0', private: true, type: 'module' }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'ESNext.Disposable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUnusedLocals: true,
          noUnusedParameters: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
          outDir: 'out',
          rootDir: 'src',
        },
        include: ['src'],
      }),
    );
    examples.forEach((ex, i) => writeFileSync(join(dir, 'src', `example${i + 1}.ts`), ex.code));
    try {
      const tgzs = withBpfkitDeps(install.filter((n) => tarballs.has(n)), manifests).map((n) => tarballs.get(n));
      execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tgzs], { cwd: dir, stdio: 'pipe' });
      execFileSync(tsc, ['-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      fail(`${name} README: the examples do not install or type-check:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
      continue;
    }
    if (!isRoot) {
      log(`skip running ${name}'s README examples: they need root`);
      continue;
    }
    for (const file of readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.js')).sort()) {
      try {
        execFileSync(process.execPath, [join('out', file)], { cwd: dir, stdio: 'pipe', timeout: RUN_TIMEOUT_MS });
      } catch (err) {
        const why = err.signal ? `did not exit within ${RUN_TIMEOUT_MS / 1000} s` : `exited ${err.status}`;
        fail(`${name} README: ${file.replace('.js', '')} ${why}:\n${err.stderr ?? ''}`);
      }
    }
    if (fail.count() === before) log(`ok   ${name} README: ${examples.length} example(s) type-check and run with only \`npm i ${install.join(' ')}\``);
  }
}
