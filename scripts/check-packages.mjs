// Proves every package is publishable and that the leaf packages install alone:
// 1. `pnpm pack` each package; the tarball holds package.json, README.md, LICENSE and dist/
//    (ESM, CJS and both type files) and nothing else, with workspace:* rewritten to versions.
// 2. @bpfkit/errors, @bpfkit/elf and @bpfkit/sys are installed with plain npm into empty
//    directories (with only the tarballs of their own bpfkit dependencies) and imported from
//    both ESM and CJS; errors and elf must bring no native code.
// 3. Every package README's examples type-check and run in a scratch project that installs only
//    the packages the README says to install (readme-examples.mjs; `--readmes-only` runs only
//    steps 1 and 3).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkReadmeExamples } from './readme-examples.mjs';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const work = mkdtempSync(join(tmpdir(), 'bpfkit-pack-'));
const failures = [];
const fail = (msg) => {
  failures.push(msg);
  console.error(`FAIL ${msg}`);
};
fail.count = () => failures.length;
const readmesOnly = process.argv.includes('--readmes-only');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts'];
const ALLOWED = /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/index\.(js|cjs|d\.ts|d\.cts)(\.map)?)$/;

const tarballs = new Map();
try {
  for (const dir of readdirSync(join(root, 'packages'))) {
    const pkgDir = join(root, 'packages', dir);
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (manifest.private) continue;
    const out = join(work, 'tgz');
    mkdirSync(out, { recursive: true });
    run('pnpm', ['pack', '--pack-destination', out], pkgDir);
    const tgz = readdirSync(out).find((f) => f.startsWith(`bpfkit-${dir}-`) && f.endsWith('.tgz'));
    if (!tgz) {
      fail(`${manifest.name}: pnpm pack produced no tarball`);
      continue;
    }
    tarballs.set(manifest.name, join(out, tgz));
    const before = failures.length;
    const files = run('tar', ['-tzf', join(out, tgz)]).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const f of REQUIRED) if (!files.includes(f)) fail(`${manifest.name}: tarball lacks ${f}`);
    for (const f of files) if (!ALLOWED.test(f)) fail(`${manifest.name}: tarball holds unexpected ${f}`);
    const packed = JSON.parse(run('tar', ['-xzOf', join(out, tgz), 'package/package.json']));
    for (const [dep, range] of Object.entries(packed.dependencies ?? {})) {
      if (String(range).startsWith('workspace:')) fail(`${manifest.name}: dependency ${dep} still says ${range}`);
    }
    if (packed.repository?.directory !== `packages/${dir}` || !packed.homepage || !packed.bugs?.url) {
      fail(`${manifest.name}: package.json needs repository (with directory packages/${dir}), homepage and bugs`);
    }
    if (!(packed.keywords?.length > 3)) fail(`${manifest.name}: package.json keywords should say what the package does`);
    if (failures.length === before) console.log(`ok   ${manifest.name}: ${files.length} files`);
  }

  if (!readmesOnly) checkInstalls();
  checkReadmeExamples({ root, work, tarballs, fail, log: (msg) => console.log(msg) });
} catch (err) {
  fail(`${err.message}\n${err.stderr ?? ''}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function installAlone(name, withDeps, { native }) {
  const before = failures.length;
  const dir = join(work, `install-${name.replace('@bpfkit/', '')}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const tgzs = [...withDeps, name].map((n) => tarballs.get(n));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tgzs], dir);
  const cjs = run('node', ['-e', `const m = require(${JSON.stringify(name)}); console.log(Object.keys(m).length)`], dir).trim();
  const esm = run('node', ['--input-type=module', '-e', `const m = await import(${JSON.stringify(name)}); console.log(Object.keys(m).length)`], dir).trim();
  if (!(Number(cjs) > 0 && cjs === esm)) fail(`${name}: CJS exports ${cjs}, ESM exports ${esm}`);
  const hasKoffi = existsSync(join(dir, 'node_modules', 'koffi'));
  if (hasKoffi !== native) fail(`${name}: koffi ${hasKoffi ? 'installed' : 'missing'} (native code expected: ${native})`);
  if (failures.length === before) console.log(`ok   ${name} installs alone with npm (${cjs} exports from CJS and ESM, native: ${hasKoffi})`);
  return dir;
}

function checkInstalls() {
  installAlone('@bpfkit/errors', [], { native: false });
  const elfDir = installAlone('@bpfkit/elf', ['@bpfkit/errors'], { native: false });
  // The ELF reader works on its own: look up a symbol in the node binary.
  const sym = run('node', ['-e', `const { ElfFile } = require('@bpfkit/elf'); const e = ElfFile.open(process.execPath); console.log(typeof e.symbol('main').value); e.close();`], elfDir).trim();
  if (sym !== 'bigint') fail(`@bpfkit/elf: symbol lookup from the installed package gave ${sym}`);
  const sysDir = installAlone('@bpfkit/sys', ['@bpfkit/errors', '@bpfkit/tracefs'], { native: true });
  const kv = run('node', ['--input-type=module', '-e', `import { kernelVersion } from '@bpfkit/sys'; console.log(kernelVersion().major)`], sysDir).trim();
  if (!(Number(kv) >= 4)) fail(`@bpfkit/sys: kernelVersion() from the installed package gave ${kv}`);
}

if (failures.length) {
  console.error(`${failures.length} packaging problem(s)`);
  process.exit(1);
}
console.log('all packages are publishable; errors, elf and sys install alone; the README examples run');
