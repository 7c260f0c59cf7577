import { InvalidArgumentError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { BtfBuilder } from './builder.js';
import { Kind, Linkage } from './kind.js';
import { loadKernelBTF } from './kernel.js';
import { Spec } from './spec.js';

describe('BtfBuilder', () => {
  it('encodes a one-INT blob byte for byte', () => {
    const b = new BtfBuilder();
    expect(b.int('int', 4, { signed: true })).toBe(1);
    const blob = b.encode();
    // prettier-ignore
    expect([...blob]).toEqual([
      0x9f, 0xeb, 1, 0, 24, 0, 0, 0, // magic, version, flags, hdr_len
      0, 0, 0, 0, 16, 0, 0, 0, // type_off, type_len
      16, 0, 0, 0, 5, 0, 0, 0, // str_off, str_len
      1, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0x20, 0, 0, 1, // name_off 1, INT, size 4, signed 32 bits
      0, 0x69, 0x6e, 0x74, 0, // "\0int\0"
    ]);
  });

  it('round-trips every kind through the parser', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const u8 = b.int('unsigned char', 1, { char: true });
    const ptr = b.ptr(int);
    const arr = b.array(u8, int, 16);
    const st = b.struct('pair', 24, [
      { name: 'a', type: int, bitOffset: 0 },
      { name: 'flag', type: int, bitOffset: 32, bitfieldSize: 3 },
      { name: 'p', type: ptr, bitOffset: 64 },
      { name: 'buf', type: arr, bitOffset: 128 },
    ]);
    const un = b.union('either', 8, [{ name: 'x', type: int, bitOffset: 0 }, { name: 'y', type: ptr, bitOffset: 0 }]);
    const en = b.enum('color', 4, [{ name: 'RED', value: 0 }, { name: 'NEG', value: -1 }], true);
    const en64 = b.enum64('big', 8, [{ name: 'HUGE', value: 0xfedcba9876543210n }]);
    const fwd = b.fwd('opaque', true);
    const td = b.typedef('pair_t', st);
    const vol = b.volatile(td);
    const cst = b.const(vol);
    const rst = b.restrict(ptr);
    const proto = b.funcProto(int, [{ name: 'ctx', type: ptr }, { name: 'n', type: int }], true);
    const fn = b.func('handler', proto, Linkage.Global);
    const v = b.var('counter', int);
    const sec = b.datasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
    const fl = b.float('double', 8);
    const tag = b.declTag('user', fn, 0);
    const ttag = b.typeTag('rcu', ptr);

    const spec = Spec.parse(b.encode());
    expect(spec.typeCount).toBe(20);
    expect(spec.type(int)).toEqual({ id: int, kind: Kind.Int, name: 'int', size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 });
    expect(spec.type(u8)).toMatchObject({ char: true, signed: false, bits: 8 });
    expect(spec.type(ptr)).toEqual({ id: ptr, kind: Kind.Ptr, name: '', type: int });
    expect(spec.type(arr)).toEqual({ id: arr, kind: Kind.Array, name: '', elemType: u8, indexType: int, nelems: 16 });
    expect(spec.members(st)).toEqual([
      { name: 'a', type: int, bitOffset: 0, bitfieldSize: 0 },
      { name: 'flag', type: int, bitOffset: 32, bitfieldSize: 3 },
      { name: 'p', type: ptr, bitOffset: 64, bitfieldSize: 0 },
      { name: 'buf', type: arr, bitOffset: 128, bitfieldSize: 0 },
    ]);
    expect(spec.members('pair').length).toBe(4);
    expect(spec.type(un)).toMatchObject({ kind: Kind.Union, size: 8, members: [{ name: 'x' }, { name: 'y' }] });
    expect(spec.type(en)).toMatchObject({ signed: true, values: [{ name: 'RED', value: 0 }, { name: 'NEG', value: -1 }] });
    expect(spec.type(en64)).toMatchObject({ kind: Kind.Enum64, values: [{ name: 'HUGE', value: 0xfedcba9876543210n }] });
    expect(spec.type(fwd)).toEqual({ id: fwd, kind: Kind.Fwd, name: 'opaque', union: true });
    expect(spec.resolve(cst)).toBe(st);
    expect(spec.type(rst)).toMatchObject({ kind: Kind.Restrict, type: ptr });
    expect(spec.funcSignature('handler')).toEqual({
      id: fn, name: 'handler', protoId: proto, linkage: Linkage.Global, returnType: int,
      params: [{ name: 'ctx', type: ptr }, { name: 'n', type: int }], variadic: true,
    });
    expect(spec.type(v)).toMatchObject({ kind: Kind.Var, name: 'counter', type: int, linkage: Linkage.Global });
    expect(spec.type(sec)).toMatchObject({ kind: Kind.Datasec, name: '.data', vars: [{ type: v, offset: 0, size: 4 }] });
    expect(spec.type(fl)).toMatchObject({ kind: Kind.Float, size: 8 });
    expect(spec.type(tag)).toMatchObject({ kind: Kind.DeclTag, name: 'user', type: fn, componentIdx: 0 });
    expect(spec.type(ttag)).toMatchObject({ kind: Kind.TypeTag, name: 'rcu', type: ptr });
    expect(spec.size(st)).toBe(24);
    expect(spec.size(arr)).toBe(16);
    expect(spec.size(cst)).toBe(24);
    expect(spec.typeId('pair_t', 'TYPEDEF')).toBe(td);
    expect(spec.findTypeIds('int')).toEqual([int]);
  });

  it('deduplicates strings', () => {
    const b = new BtfBuilder();
    const a = b.int('long', 8);
    b.typedef('long', a);
    const blob = b.encode();
    const strLen = new DataView(blob.buffer).getUint32(20, true);
    expect(strLen).toBe(6); // "\0long\0"
  });

  it('builds split BTF on top of vmlinux, as a module blob is', () => {
    const vmlinux = loadKernelBTF();
    const b = new BtfBuilder({ base: vmlinux });
    const baseInt = vmlinux.typeId('int', 'INT');
    const proto = b.funcProto(baseInt, [{ name: 'x', type: baseInt }]);
    const fn = b.func('bpfkit_split_test_fn', proto);
    expect(proto).toBe(vmlinux.typeEnd);
    const mod = Spec.parse(b.encode(), { base: vmlinux, name: 'testmod' });
    expect(mod.firstTypeId).toBe(vmlinux.typeEnd);
    expect(mod.typeId('bpfkit_split_test_fn', 'FUNC')).toBe(fn);
    expect(mod.funcSignature(fn).params).toEqual([{ name: 'x', type: baseInt }]);
    // Base names are visible through the split spec.
    expect(mod.typeId('task_struct', 'STRUCT')).toBe(vmlinux.typeId('task_struct', 'STRUCT'));
    expect(mod.type(baseInt).name).toBe('int');
  });

  it('rejects references to types that do not exist yet', () => {
    const b = new BtfBuilder();
    expect(() => b.ptr(5)).toThrow(InvalidArgumentError);
    expect(() => b.int('x', 3)).toThrow(InvalidArgumentError);
    expect(() => b.string('a\0b')).toThrow(InvalidArgumentError);
  });
});
