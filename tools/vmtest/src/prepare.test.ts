import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { extractVmlinux, lsmParameter, moduleDepends } from './prepare.js';

describe('lsm= parameter', () => {
  it('keeps a CONFIG_LSM that has bpf', () => {
    expect(lsmParameter('CONFIG_X=y\nCONFIG_LSM="landlock,lockdown,yama,bpf,ipe"\n')).toBe('lsm=landlock,lockdown,yama,bpf,ipe');
  });

  it('appends bpf where the kernel leaves it out (5.10)', () => {
    expect(lsmParameter('CONFIG_LSM="lockdown,yama,loadpin,safesetid,integrity,apparmor,selinux,smack,tomoyo"')).toBe(
      'lsm=lockdown,yama,loadpin,safesetid,integrity,apparmor,selinux,smack,tomoyo,bpf',
    );
  });
});

describe('module dependencies from modinfo', () => {
  it('reads the depends= field', () => {
    const ko = Buffer.from('\x7fELF...\0license=GPL\0depends=netfs,9pnet\0retpoline=Y\0');
    expect(moduleDepends(ko)).toEqual(['netfs', '9pnet']);
  });

  it('is empty for an empty or missing field', () => {
    expect(moduleDepends(Buffer.from('\0depends=\0name=x\0'))).toEqual([]);
    expect(moduleDepends(Buffer.from('\0name=x\0'))).toEqual([]);
  });
});

describe('vmlinux extraction', () => {
  const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(4096, 7)]);

  it('finds a gzip payload after a setup header and ignores trailing data', () => {
    const bzImage = Buffer.concat([Buffer.alloc(1000, 0x90), gzipSync(elf), Buffer.alloc(64, 0xff)]);
    expect(extractVmlinux(bzImage).equals(elf)).toBe(true);
  });

  it('refuses an image without an ELF payload', () => {
    const notElf = Buffer.concat([Buffer.alloc(100), gzipSync(Buffer.from('not an elf file'))]);
    expect(() => extractVmlinux(notElf)).toThrow(/no compressed ELF payload/);
  });
});
