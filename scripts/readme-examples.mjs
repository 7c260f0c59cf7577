// The README examples, as a new user meets them: for each package README, a scratch ESM project
// installs with npm only the packed packages its install line names (npm fetches the rest of a
// published package's dependencies itself; here their tarballs stand in for the registry), then
// every ts/js code block is type-checked with tsc (strict, noUnusedLocals, against the published
// .d.ts files) and run with node, as root, each within a time bound (js blocks are run, and
// type-checked only as loosely as tsc checks JavaScript). Used by check-packages.mjs.
//
// An HTML comment on the line before a fence says more about the block:
//   <!-- file: getppid.bpf.c -->  the block is that file in the project (C sources for the examples);
//   <!-- build -->                the sh block is run in the project before the examples;
//   <!-- needs: kprobe, lsm -->   the example runs only where @bpfkit/link's feature(kind) says each
//                                 kind is supported; elsewhere it is type-checked and the log says why not.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The packages whose README examples are checked. */
export const README_PACKAGES = ['errors', 'sys', 'elf', 'tracefs', 'netlink', 'btf', 'ebpf', 'link'];

const RUN_TIMEOUT_MS = 60_000;

/** The fenced blocks of a Markdown file: `{ lang, code, marker? }`, marker from the comment before it. */
export function codeBlocks(markdown) {
  return [...markdown.matchAll(/^(?:<!-- (\w+)(?:: ([^>]*?))? -->\n)?```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[3],
    code: m[4],
    ...(m[1] ? { marker: { key: m[1], value: (m[2] ?? '').trim() } } : {}),
  }));
}

/** The attach kinds a block's `needs:` marker names. */
function needs(block) {
  return block.marker?.key === 'needs' ? block.marker.value.split(/[\s,]+/).filter(Boolean) : [];
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
          allowJs: true,
          checkJs: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
          outDir: 'out',
          rootDir: 'src',
        },
        include: ['src'],
      }),
    );
    // Zero-padded so that the examples run in README order.
    const files = examples.map((ex, i) => `example${String(i + 1).padStart(2, '0')}.${ex.lang}`);
    examples.forEach((ex, i) => writeFileSync(join(dir, 'src', files[i]), ex.code));
    for (const b of blocks.filter((b) => b.marker?.key === 'file')) writeFileSync(join(dir, b.marker.value), b.code);
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
    try {
      for (const b of blocks.filter((b) => b.lang === 'sh' && b.marker?.key === 'build')) execFileSync('sh', ['-ec', b.code], { cwd: dir, stdio: 'pipe' });
    } catch (err) {
      fail(`${name} README: a build step failed:\n${err.stderr ?? err.message}`);
      continue;
    }
    const unsupported = unsupportedKinds(dir, examples.flatMap(needs));
    let ran = 0;
    examples.forEach((ex, i) => {
      const example = files[i].replace(/\.\w+$/, '');
      const missing = needs(ex).filter((k) => unsupported.has(k));
      if (missing.length) {
        log(`     ${name} README: ${example} type-checked, not run: ${missing.map((k) => `${k} (${unsupported.get(k)})`).join('; ')}`);
        return;
      }
      try {
        execFileSync(process.execPath, [join('out', `${example}.js`)], { cwd: dir, stdio: 'pipe', timeout: RUN_TIMEOUT_MS });
        ran += 1;
      } catch (err) {
        const why = err.signal ? `did not exit within ${RUN_TIMEOUT_MS / 1000} s` : `exited ${err.status}`;
        fail(`${name} README: ${example} ${why}:\n${err.stderr ?? ''}`);
      }
    });
    if (fail.count() === before) log(`ok   ${name} README: ${examples.length} example(s) type-check, ${ran} run, with only \`npm i ${install.join(' ')}\``);
  }
}

/** The kinds among `kinds` that the installed @bpfkit/link reports unsupported here, with the reason. */
function unsupportedKinds(dir, kinds) {
  if (kinds.length === 0) return new Map();
  const script = `import { feature } from '@bpfkit/link';
for (const k of ${JSON.stringify([...new Set(kinds)])}) { const f = feature(k); if (!f.supported) console.log(JSON.stringify([k, f.reason])); }`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
  return new Map(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
}
