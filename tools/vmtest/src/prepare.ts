/**
 * Turns a Debian kernel package into what a direct boot needs, once per kernel release, under
 * <cache>/kernels/<release>/: the uncompressed ELF vmlinux (booted through PVH: no firmware and
 * no decompression under TCG), a busybox initramfs with the modules needed to mount the host root,
 * and the unpacked module tree with a modules.dep for module autoload inside the guest.
 * Nothing is installed: the .deb is unpacked with dpkg-deb -x, no maintainer script runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Apt } from './apt.js';
import { type KernelSpec, packagesFromImageDepends, releaseFromMetaDepends, versionFromShow } from './kernels.js';

export interface PreparedKernel {
  readonly name: string;
  /** The kernel release, `uname -r` in the guest. */
  readonly release: string;
  /** The Debian package version it came from. */
  readonly packageVersion: string;
  readonly dir: string;
  readonly vmlinux: string;
  readonly initrd: string;
  /** The unpacked /lib/modules/<release>, read by the guest through the host root. */
  readonly modules: string;
  /** `lsm=` for the kernel command line: the kernel's CONFIG_LSM with bpf appended if missing. */
  readonly lsm: string;
  /** sha256 of the guest init the initrd holds: a changed init rebuilds the initrd. */
  readonly initHash: string;
}

export interface ResolvedKernel {
  readonly spec: KernelSpec;
  readonly release: string;
  readonly packageVersion: string;
  readonly packages: string[];
}

/** Needed to mount the host root: virtio transport, 9p over virtio, overlayfs. */
const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

const INIT_SCRIPT = new URL('../guest/init.sh', import.meta.url);

export function resolveKernel(apt: Apt, spec: KernelSpec): ResolvedKernel {
  apt.update();
  const release = releaseFromMetaDepends(spec.metaPackage, apt.cache(['depends', spec.metaPackage]));
  const image = `linux-image-${release}`;
  const packages = packagesFromImageDepends(release, apt.cache(['depends', image]));
  const packageVersion = versionFromShow(apt.cache(['show', '--no-all-versions', image]));
  return { spec, release, packageVersion, packages };
}

function run(tool: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): Buffer {
  const r = spawnSync(tool, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`${tool}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : r.error.message}`);
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim()}`);
  return r.stdout;
}

/** Decompressors for the payloads Debian's bzImages use, with the magic each starts with. */
const PAYLOADS: { magic: Buffer; tool: string; args: string[] }[] = [
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), tool: 'zstd', args: ['-dcq'] },
  { magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), tool: 'xz', args: ['-dc', '--single-stream'] },
  { magic: Buffer.from([0x02, 0x21, 0x4c, 0x18]), tool: 'lz4', args: ['-dcq'] },
  { magic: Buffer.from([0x1f, 0x8b, 0x08]), tool: 'gzip', args: ['-dcq'] },
];
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Finds the compressed ELF inside a bzImage and returns it uncompressed. */
export function extractVmlinux(bzImage: Buffer): Buffer {
  for (const { magic, tool, args } of PAYLOADS) {
    for (let pos = bzImage.indexOf(magic); pos >= 0; pos = bzImage.indexOf(magic, pos + 1)) {
      // Trailing data after the stream makes the decompressors complain: take what came out.
      const r = spawnSync(tool, args, { input: bzImage.subarray(pos), maxBuffer: 1 << 30 });
      if (r.error) throw new Error(`${tool}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : r.error.message}`);
      if (r.stdout.length > 4 && r.stdout.subarray(0, 4).equals(ELF_MAGIC)) return r.stdout;
    }
  }
  throw new Error('no compressed ELF payload (zstd, xz, lz4, gzip) found in the bzImage');
}

/** The names in a module's `depends=` modinfo field. */
export function moduleDepends(ko: Buffer): string[] {
  const at = ko.indexOf('\0depends=');
  if (at < 0) return [];
  const end = ko.indexOf(0, at + 1);
  const list = ko.subarray(at + '\0depends='.length, end).toString();
  return list ? list.split(',') : [];
}

function readModule(path: string): Buffer {
  return path.endsWith('.xz') ? run('xz', ['-dc', path]) : readFileSync(path);
}

/** The modules `names` need, dependencies first, skipping those built into the kernel. */
function moduleLoadOrder(modDir: string, names: string[]): { name: string; ko: Buffer }[] {
  const builtin = readFileSync(join(modDir, 'modules.builtin'), 'utf8');
  const order = readFileSync(join(modDir, 'modules.order'), 'utf8').split('\n');
  const seen = new Set<string>();
  const out: { name: string; ko: Buffer }[] = [];
  const fileOf = (name: string, list: string[]): string | undefined => {
    const re = new RegExp(`(^|/)${name.replace(/[-_]/g, '[-_]')}\\.ko(\\.xz)?$`);
    return list.find((l) => re.test(l));
  };
  const visit = (raw: string): void => {
    const name = raw.replace(/-/g, '_');
    if (seen.has(name)) return;
    seen.add(name);
    if (fileOf(name, builtin.split('\n'))) return;
    const rel = fileOf(name, order);
    if (!rel) throw new Error(`module ${name} is neither built in nor listed in modules.order`);
    const path = [rel, `${rel}.xz`].map((p) => join(modDir, p)).find((p) => existsSync(p));
    if (!path) throw new Error(`module ${name}: ${rel} is listed but missing`);
    const ko = readModule(path);
    for (const dep of moduleDepends(ko)) visit(dep);
    out.push({ name, ko });
  };
  for (const n of names) visit(n);
  return out;
}

function initHash(): string {
  return createHash('sha256').update(readFileSync(INIT_SCRIPT)).digest('hex');
}

function buildInitrd(work: string, modDir: string, out: string): void {
  const root = join(work, 'initrd');
  rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'dev', 'proc', 'sys', 'mnt', 'newroot', 'lib/modules']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  const modules = moduleLoadOrder(modDir, BOOT_MODULES);
  for (const m of modules) writeFileSync(join(root, 'lib/modules', `${m.name}.ko`), m.ko);
  writeFileSync(join(root, 'modules.list'), modules.map((m) => m.name).join('\n') + '\n');
  copyFileSync(INIT_SCRIPT, join(root, 'init'));
  chmodSync(join(root, 'init'), 0o755);
  const list = execFileSync('find', ['.'], { cwd: root });
  const cpio = run('busybox', ['cpio', '-o', '-H', 'newc'], { cwd: root, input: list });
  writeFileSync(out, gzipSync(cpio, { level: 1 }));
  rmSync(root, { recursive: true, force: true });
}

/** `lsm=`: the kernel's own CONFIG_LSM order, with bpf added when it lacks it (5.10). */
export function lsmParameter(config: string): string {
  const list = /^CONFIG_LSM="(.*)"$/m.exec(config)?.[1];
  if (!list) return 'lsm=bpf';
  return `lsm=${list.split(',').includes('bpf') ? list : `${list},bpf`}`;
}

function loadPrepared(dir: string): PreparedKernel {
  return JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as PreparedKernel;
}

/**
 * Returns the prepared kernel for `resolved`, downloading and preparing it when the cache lacks
 * it. Preparation happens in a temporary directory renamed into place, so an interrupted one
 * is never mistaken for a finished one.
 */
export function prepareKernel(apt: Apt, resolved: ResolvedKernel, cacheDir: string, log: (msg: string) => void): PreparedKernel {
  const { release } = resolved;
  const dir = join(cacheDir, 'kernels', release);
  if (existsSync(join(dir, 'kernel.json'))) {
    const cached = { ...loadPrepared(dir), name: resolved.spec.name };
    if (cached.initHash === initHash()) return cached;
    log(`${release}: the guest init changed, rebuilding the initrd`);
    buildInitrd(dir, cached.modules, cached.initrd);
    const updated = { ...cached, initHash: initHash() };
    writeFileSync(join(dir, 'kernel.json'), JSON.stringify(updated, null, 2) + '\n');
    return updated;
  }

  log(`preparing ${resolved.spec.name} (${release}, ${resolved.packages.join(' ')} ${resolved.packageVersion}) in ${dir}`);
  const work = `${dir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'deb'), { recursive: true });
  apt.download(resolved.packages, join(work, 'deb'));
  const root = join(work, 'root');
  for (const deb of readdirSync(join(work, 'deb'))) run('dpkg-deb', ['-x', join(work, 'deb', deb), root]);
  rmSync(join(work, 'deb'), { recursive: true, force: true });

  // bookworm keeps modules in /lib/modules, sid in /usr/lib/modules (with vmlinuz and config).
  const modRel = ['lib/modules', 'usr/lib/modules'].map((d) => join(d, release)).find((d) => existsSync(join(root, d)));
  if (!modRel) throw new Error(`${release}: no modules directory in the package`);
  const modDir = join(root, modRel);
  const configPath = [join(root, 'boot', `config-${release}`), join(modDir, 'config')].find((p) => existsSync(p));
  const vmlinuzPath = [join(root, 'boot', `vmlinuz-${release}`), join(modDir, 'vmlinuz')].find((p) => existsSync(p));
  if (!configPath || !vmlinuzPath) throw new Error(`${release}: the package has no config or vmlinuz`);
  const config = readFileSync(configPath, 'utf8');
  if (!/^CONFIG_9P_FS=/m.test(config)) throw new Error(`${release}: built without CONFIG_9P_FS (a -cloud kernel?), cannot share the host root read-only`);
  writeFileSync(join(work, 'config'), config);
  writeFileSync(join(work, 'vmlinux'), extractVmlinux(readFileSync(vmlinuzPath)));
  buildInitrd(work, modDir, join(work, 'initrd.gz'));
  // modules.dep for modprobe inside the guest (the debs ship none; the host may have no kmod).
  if (modRel.startsWith('usr/') && !existsSync(join(root, 'lib'))) execFileSync('ln', ['-s', 'usr/lib', join(root, 'lib')]);
  run('busybox', ['depmod', '-b', root, release]);

  const kernel: PreparedKernel = {
    name: resolved.spec.name,
    release,
    packageVersion: resolved.packageVersion,
    dir,
    vmlinux: join(dir, 'vmlinux'),
    initrd: join(dir, 'initrd.gz'),
    modules: join(dir, 'root', 'lib', 'modules', release),
    lsm: lsmParameter(config),
    initHash: initHash(),
  };
  writeFileSync(join(work, 'kernel.json'), JSON.stringify(kernel, null, 2) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return kernel;
}
