import { loadKernelBTF } from '@bpfkit/btf';
import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '../../../testing/feature.js';
import { asm } from './asm.js';
import { moduleBTFObject, programBTF } from './kernel-btf.js';
import { Program } from './program.js';
import { kernelSyscalls } from './syscalls.js';
import { expectNoFdLeak, openFds } from './testing/fds.js';
import { ProgramType } from './types.js';

describe('kernel BTF objects (real kernel)', () => {
  it('finds a kernel BTF object by name by walking BTF IDs (vmlinux itself is one)', (ctx) => {
    requireRoot(ctx);
    using fd = moduleBTFObject('vmlinux', kernelSyscalls);
    const info = kernelSyscalls.btfInfo(fd.fd);
    expect(info).toMatchObject({ name: 'vmlinux', kernelBtf: true });
    expect(openFds().get(fd.fd)).toBe('anon_inode:btf');
    // The blob the kernel hands out is the one sysfs shows.
    expect(Buffer.compare(info.btf(), loadKernelBTF().data)).toBe(0);
  });

  it('reports a module without a BTF object as not found, leaking nothing', (ctx) => {
    requireRoot(ctx);
    expectNoFdLeak(() => moduleBTFObject('bpfkit_no_such_module', kernelSyscalls));
    expect(() => moduleBTFObject('bpfkit_no_such_module', kernelSyscalls)).toThrow(SymbolNotFoundError);
  });

  it('refuses to look for functions in a program loaded without BTF', (ctx) => {
    requireRoot(ctx);
    using plain = Program.load({ type: ProgramType.SocketFilter, instructions: [asm.mov64('r0', 0), asm.exit()], license: 'GPL' });
    expect(() => programBTF(plain.fd, 'plain', kernelSyscalls)).toThrow(InvalidArgumentError);
  });
});
