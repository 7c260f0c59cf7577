import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { KERNELS, kernelSpec, packagesFromImageDepends, releaseFromMetaDepends, versionFromShow } from './kernels.js';

// Captured from apt-cache against deb.debian.org (private sources lists) on 2026-11-25.
const fixture = (name: string): string => readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8');

describe('kernel release resolution from real apt-cache output', () => {
  it('bookworm linux-image-amd64 points at the 6.1 ABI', () => {
    expect(releaseFromMetaDepends('linux-image-amd64', fixture('apt-depends-bookworm-linux-image-amd64.txt'))).toBe('6.1.0-56-amd64');
  });

  it('bookworm linux-image-6.12-amd64 points at the +deb12 6.12', () => {
    expect(releaseFromMetaDepends('linux-image-6.12-amd64', fixture('apt-depends-bookworm-linux-image-6.12-amd64.txt'))).toBe(
      '6.12.117+deb12-amd64',
    );
  });

  it('sid linux-image-amd64 also depends on linux-base-amd64, which is not a release', () => {
    expect(releaseFromMetaDepends('linux-image-amd64', fixture('apt-depends-sid-linux-image-amd64.txt'))).toBe('7.2.13+deb14-amd64');
  });

  it('bookworm images are the package to download themselves', () => {
    expect(packagesFromImageDepends('6.12.117+deb12-amd64', fixture('apt-depends-bookworm-linux-image-6.12.117+deb12-amd64.txt'))).toEqual([
      'linux-image-6.12.117+deb12-amd64',
    ]);
  });

  it('sid images are meta packages over linux-binary, linux-modules and linux-base', () => {
    expect(packagesFromImageDepends('7.2.13+deb14-amd64', fixture('apt-depends-sid-linux-image-7.2.13+deb14-amd64.txt')).sort()).toEqual([
      'linux-base-7.2.13+deb14-amd64',
      'linux-binary-7.2.13+deb14-amd64',
      'linux-modules-7.2.13+deb14-amd64',
    ]);
  });

  it('reads the package version from apt-cache show', () => {
    expect(versionFromShow(fixture('apt-show-bookworm-linux-image-6.12.117+deb12-amd64.txt'))).toBe('6.12.117-1~deb12u1');
  });

  it('refuses output without exactly one linux-image dependency', () => {
    expect(() => releaseFromMetaDepends('linux-image-amd64', 'linux-image-amd64\n  Depends: linux-base-amd64\n')).toThrow(InvalidArgumentError);
    const two = 'm\n  Depends: linux-image-6.1.0-1-amd64\n  Depends: linux-image-6.1.0-2-amd64\n';
    expect(() => releaseFromMetaDepends('m', two)).toThrow(/found 2/);
    expect(() => versionFromShow('Package: x\n')).toThrow(InvalidArgumentError);
  });
});

describe('kernel specs', () => {
  it('know the five kernels, each with its own suite sources', () => {
    expect(KERNELS.map((k) => k.name)).toEqual(['5.10', '6.1', '6.12', 'trixie', 'sid']);
    expect(kernelSpec('6.12')).toMatchObject({ suite: 'bookworm', metaPackage: 'linux-image-6.12-amd64' });
    expect(kernelSpec('5.10').sources).toContain('deb http://deb.debian.org/debian-security bullseye-security main');
  });

  it('reject an unknown name, listing the known ones', () => {
    expect(() => kernelSpec('4.19')).toThrow(/unknown kernel "4.19": expected one of 5.10, 6.1, 6.12, trixie, sid/);
  });
});
