import { BtfBuilder, Kind, Linkage, loadKernelBTF, Spec } from '@bpfkit/btf';
import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { expectNoFdLeak, openFds, requireRoot } from '@bpfkit/testing';
import { asm } from './asm.js';
import { moduleBTFObject, programBTF } from './kernel-btf.js';
import { Program } from './program.js';
import { kernelSyscalls } from './syscalls.js';
import { ProgramType } from './types.js';

describe('kernel BTF objects (real kernel)', () => {
  it('accepts a blob from the BTF encoder (BTF_LOAD) and hands the same bytes back', (ctx) => {
    requireRoot(ctx);
    // Only the kinds the running kernel knows: BTF_LOAD rejects the whole blob otherwise.
    const since = (version: string) => sys.compareVersions(sys.kernelVersion(), version) >= 0;
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const u64 = b.int('unsigned long long', 8);
    const ptr = b.ptr(int);
    const st = b.struct('pair', 16, [
      { name: 'a', type: int, bitOffset: 0 },
      { name: 'b', type: int, bitOffset: 32, bitfieldSize: 5 },
      { name: 'p', type: ptr, bitOffset: 64 },
    ]);
    b.union('either', 8, [{ name: 'x', type: int, bitOffset: 0 }, { name: 'y', type: u64, bitOffset: 0 }]);
    b.enum('color', 4, [{ name: 'RED', value: 0 }, { name: 'BLUE', value: 2 }]);
    b.typedef('pair_t', b.const(b.volatile(st)));
    b.fwd('opaque');
    b.array(int, int, 4);
    const param = since('5.17') ? b.ptr(b.typeTag('user', int)) : ptr;
    const proto = b.funcProto(int, [{ name: 'p', type: param }, { name: 'n', type: u64 }]);
    const fn = b.func('bpfkit_fn', proto, Linkage.Global);
    const v = b.var('bpfkit_var', int, Linkage.Global);
    b.datasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
    if (since('5.13')) b.float('double', 8);
    if (since('5.16')) b.declTag('bpfkit_tag', fn, -1);
    if (since('6.0')) b.enum64('wide', 8, [{ name: 'BIG', value: 1n << 40n }]);
    const blob = b.encode();
    using fd = kernelSyscalls.btfLoad({ btf: blob });
    const info = kernelSyscalls.btfInfo(fd.fd);
    expect(info.kernelBtf).toBe(false);
    const back = info.btf();
    expect(Buffer.compare(back, blob)).toBe(0);
    expect(Spec.parse(back).funcSignature('bpfkit_fn').params.map((p) => p.name)).toEqual(['p', 'n']);
    expect(Spec.parse(back).kind(int)).toBe(Kind.Int);
  });


  it('finds a kernel BTF object by name by walking BTF IDs (vmlinux itself is one)', (ctx) => {
    requireRoot(ctx);
    if (sys.compareVersions(sys.kernelVersion(), '5.11') < 0) {
      // Kernel BTF got an object ID (and BTF info its name) in 5.11: before, there is none to find.
      expectNoFdLeak(() => moduleBTFObject('vmlinux', kernelSyscalls));
      expect(() => moduleBTFObject('vmlinux', kernelSyscalls)).toThrow(SymbolNotFoundError);
      return;
    }
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
