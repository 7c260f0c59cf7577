/**
 * The kernels the matrix knows, by the short name given to `--kernel`, and the parsers that turn
 * `apt-cache` output into the kernel release to download. ABI names (6.1.0-56, 6.12.117+deb12)
 * move as deb.debian.org moves, so they are always resolved from the meta packages.
 */
import { InvalidArgumentError } from '@bpfkit/errors';

export interface KernelSpec {
  /** The name given to `--kernel` and shown in the matrix. */
  readonly name: string;
  /** The Debian suite whose archive provides it. */
  readonly suite: string;
  /** The meta package that depends on the current linux-image-<release>. */
  readonly metaPackage: string;
  /** sources.list lines of a private apt configuration holding just this suite. */
  readonly sources: readonly string[];
}

const DEBIAN = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';

function stable(suite: string, securitySuffix: string): string[] {
  return [`deb ${DEBIAN} ${suite} main`, `deb ${DEBIAN} ${suite}-updates main`, `deb ${SECURITY} ${suite}${securitySuffix} main`];
}

export const KERNELS: readonly KernelSpec[] = [
  { name: '5.10', suite: 'bullseye', metaPackage: 'linux-image-amd64', sources: stable('bullseye', '-security') },
  { name: '6.1', suite: 'bookworm', metaPackage: 'linux-image-amd64', sources: stable('bookworm', '-security') },
  { name: '6.12', suite: 'bookworm', metaPackage: 'linux-image-6.12-amd64', sources: stable('bookworm', '-security') },
  { name: 'trixie', suite: 'trixie', metaPackage: 'linux-image-amd64', sources: stable('trixie', '-security') },
  { name: 'sid', suite: 'sid', metaPackage: 'linux-image-amd64', sources: [`deb ${DEBIAN} sid main`] },
];

/** The kernels `.ci/run` and a bare `pnpm test:kernels` run. */
export const DEFAULT_KERNELS: readonly string[] = ['6.1', '6.12'];

export function kernelSpec(name: string): KernelSpec {
  const spec = KERNELS.find((k) => k.name === name);
  if (!spec) {
    throw new InvalidArgumentError('--kernel', `unknown kernel "${name}": expected one of ${KERNELS.map((k) => k.name).join(', ')}`);
  }
  return spec;
}

function dependsOn(aptCacheDepends: string): string[] {
  return [...aptCacheDepends.matchAll(/^\s*\|?(?:Pre)?Depends: (\S+)\s*$/gm)].map((m) => m[1]!);
}

/**
 * The kernel release a meta package points at, from `apt-cache depends <meta>`:
 * `Depends: linux-image-6.12.117+deb12-amd64` gives `6.12.117+deb12-amd64`.
 */
export function releaseFromMetaDepends(metaPackage: string, aptCacheDepends: string): string {
  const releases = dependsOn(aptCacheDepends)
    .map((p) => /^linux-image-(\d+\.\d+\S*)$/.exec(p)?.[1])
    .filter((r): r is string => r !== undefined);
  if (releases.length !== 1) {
    throw new InvalidArgumentError(
      'apt-cache depends output',
      `expected ${metaPackage} to depend on exactly one linux-image-<release>, found ${releases.length} in:\n${aptCacheDepends}`,
    );
  }
  return releases[0]!;
}

/**
 * The .deb packages holding the kernel image and modules of `release`, from
 * `apt-cache depends linux-image-<release>`: itself up to trixie, and from sid on the split
 * linux-binary-, linux-modules- and linux-base-<release> it depends on (it is then a meta package).
 */
export function packagesFromImageDepends(release: string, aptCacheDepends: string): string[] {
  const split = dependsOn(aptCacheDepends).filter((p) =>
    ['binary', 'modules', 'base'].some((part) => p === `linux-${part}-${release}`),
  );
  return split.length > 0 ? split : [`linux-image-${release}`];
}

/** The Version field of the first stanza of `apt-cache show`. */
export function versionFromShow(aptCacheShow: string): string {
  const version = /^Version: (\S+)$/m.exec(aptCacheShow)?.[1];
  if (!version) throw new InvalidArgumentError('apt-cache show output', `no Version field in apt-cache show output:\n${aptCacheShow}`);
  return version;
}
