import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { BtfBuilder } from './builder.js';
import { Kind } from './kind.js';
import { loadKernelBTF } from './kernel.js';
import { Spec } from './spec.js';

describe('Spec on the running kernel', () => {
  const vmlinux = loadKernelBTF();

  it('finds a FUNC and resolves its prototype', () => {
    const sig = vmlinux.funcSignature('do_sys_openat2');
    expect(vmlinux.kind(sig.id)).toBe(Kind.Func);
    expect(sig.params.map((p) => p.name)).toEqual(['dfd', 'filename', 'how']);
    expect(vmlinux.type(vmlinux.resolve(sig.returnType))).toMatchObject({ kind: Kind.Int, signed: true });
    const how = vmlinux.type(sig.params[2]!.type);
    expect(how.kind).toBe(Kind.Ptr);
  });

  it('gives STRUCT members with bit offsets, bitfields included', () => {
    const members = vmlinux.members('task_struct');
    const pid = members.find((m) => m.name === 'pid')!;
    expect(pid.bitOffset % 8).toBe(0);
    expect(vmlinux.size(pid.type)).toBe(4);
    expect(members.some((m) => m.bitfieldSize > 0)).toBe(true);
    expect(vmlinux.size(vmlinux.typeId('task_struct', 'STRUCT'))).toBeGreaterThan(1000);
  });

  it('finds the names the loader needs: tp_btf typedefs, LSM hooks, struct_ops wrappers', () => {
    expect(vmlinux.kind(vmlinux.typeId('btf_trace_sys_enter', Kind.Typedef))).toBe(Kind.Typedef);
    expect(vmlinux.kind(vmlinux.typeId('bpf_lsm_file_mprotect', Kind.Func))).toBe(Kind.Func);
    const ops = vmlinux.members('bpf_struct_ops_tcp_congestion_ops').map((m) => m.name);
    expect(ops).toContain('data');
  });

  it('filters by kind, and the same name can be several kinds', () => {
    const all = vmlinux.findTypeIds('task_struct');
    expect(all.length).toBeGreaterThanOrEqual(1);
    expect(vmlinux.findTypeIds('task_struct', 'FUNC')).toEqual([]);
    expect(() => vmlinux.typeId('no_such_type_anywhere', Kind.Struct)).toThrow(SymbolNotFoundError);
  });

  it('returns the same IDs through the index as through the first scan', () => {
    const fresh = Spec.parse(vmlinux.data);
    const a = fresh.findTypeIds('sk_buff');
    const b = fresh.findTypeIds('do_sys_openat2');
    expect(a).toEqual(vmlinux.findTypeIds('sk_buff'));
    expect(b).toEqual(vmlinux.findTypeIds('do_sys_openat2'));
    // 'id' ends many other strings ("pid\0", "uuid\0"): only exact names match.
    for (const id of fresh.findTypeIds('u32')) expect(fresh.type(id).name).toBe('u32');
  });

  it('finds the same IDs by the first lookup (string search) as by the index, for a sample of vmlinux names', () => {
    // task_struct ends five other names in vmlinux: six candidate offsets for the first lookup.
    const names = new Set(['int', 'u32', 'sk_buff', 'task_struct', 'do_sys_openat2', 'bpf_lsm_file_mprotect', 'btf_trace_sys_enter']);
    for (let id = 1; id < vmlinux.typeEnd; id += 997) {
      const name = vmlinux.type(id).name;
      if (name !== '') names.add(name);
    }
    for (const name of names) {
      const ids = vmlinux.findTypeIds(name);
      expect(ids.length, name).toBeGreaterThan(0);
      expect(Spec.parse(vmlinux.data).findTypeIds(name), name).toEqual(ids);
    }
  });

  it('decodes every type of vmlinux without error', () => {
    let named = 0;
    for (let id = 1; id < vmlinux.typeEnd; id++) if (vmlinux.type(id).name !== '') named++;
    expect(named).toBeGreaterThan(10_000);
  });

  it('rejects bad arguments', () => {
    expect(() => vmlinux.findTypeIds('')).toThrow(InvalidArgumentError);
    expect(() => vmlinux.findTypeIds('x', 'NOPE' as 'FUNC')).toThrow(InvalidArgumentError);
    expect(() => vmlinux.type(-1)).toThrow(InvalidArgumentError);
    expect(() => vmlinux.type(vmlinux.typeEnd)).toThrow(/out of range/);
    expect(() => vmlinux.funcSignature(vmlinux.typeId('task_struct', 'STRUCT'))).toThrow(/not a FUNC/);
  });
});

describe('Spec on hostile input', () => {
  const header = (blob: Uint8Array) => new DataView(blob.buffer, blob.byteOffset);
  const good = (): Uint8Array => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    b.struct('s', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
    return b.encode();
  };

  it('names the offset of a bad header', () => {
    expect(() => Spec.parse(new Uint8Array(10))).toThrow(/offset 0x0.*shorter/);
    const b = good();
    header(b).setUint16(0, 0x1234, true);
    expect(() => Spec.parse(b)).toThrow(/offset 0x0: bad magic 0x1234/);
    const c = good();
    header(c).setUint32(12, 0x7ffffff0, true);
    expect(() => Spec.parse(c)).toThrow(/offset 0x8: type section .* runs past/);
    const d = good();
    d[d.length - 1] = 0x41;
    expect(() => Spec.parse(d)).toThrow(/not NUL-terminated/);
  });

  it('names the offset of a bad type record', () => {
    const b = good();
    b[24 + 7] = 31; // kind 31 in the first type's info word
    expect(() => Spec.parse(b).typeCount).toThrow(InvalidArgumentError);
    expect(() => Spec.parse(b).typeCount).toThrow(/type \[1\] at offset 0x18: unknown kind 31/);
    const c = good();
    new DataView(c.buffer).setUint16(24 + 16 + 4, 0xffff, true); // struct vlen 65535
    expect(() => Spec.parse(c).typeCount).toThrow(/type \[2\] at offset 0x28: STRUCT data runs past/);
  });

  it('names the offset of a truncated type header', () => {
    const b = good();
    header(b).setUint32(12, 20, true); // type_len: the INT and 4 bytes of the STRUCT's header
    expect(() => Spec.parse(b).typeCount).toThrow(/type \[2\] at offset 0x28: truncated type header/);
  });

  it('matches whole names only, wherever their rarest bytes are', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    const names = ['qzk_alpha_beta', 'xqzk_alpha_beta', 'qzk_alpha_betax', 'qzk_alphb_beta', 'wzk_alpha_beta', 'alpha_beta_qzk', 'eeeeeeeeee', 'eeeeeeeee', 'ab'];
    const ids = new Map(names.map((n) => [n, b.typedef(n, int)]));
    const blob = b.encode();
    for (const name of names) {
      expect(Spec.parse(blob).findTypeIds(name), name).toEqual([ids.get(name)]);
    }
    const indexed = Spec.parse(blob);
    indexed.findTypeIds('int');
    for (const name of names) expect(indexed.findTypeIds(name), name).toEqual([ids.get(name)]);
    expect(Spec.parse(blob).findTypeIds('qzk_alpha')).toEqual([]);
    expect(Spec.parse(blob).findTypeIds('zk_alpha_beta')).toEqual([]);
  });

  it('finds a name that ends many others, by scan or by index', () => {
    for (const others of [10, 40]) {
      const b = new BtfBuilder();
      const int = b.int('int', 4);
      for (let i = 0; i < others; i++) b.typedef(`v${i}_xy_ops`, int);
      const id = b.typedef('xy_ops', int);
      expect(Spec.parse(b.encode()).findTypeIds('xy_ops'), `${others} others`).toEqual([id]);
    }
  });

  it('bounds string offsets and type references', () => {
    const b = good();
    new DataView(b.buffer).setUint32(24, 0x100000, true); // INT name_off
    expect(() => Spec.parse(b).type(1)).toThrow(/type \[1\] at offset 0x18: .*string offset 0x100000/);
    const c = good();
    new DataView(c.buffer).setUint32(24 + 16 + 12 + 4, 999, true); // member type
    expect(() => Spec.parse(c).members(2)).toThrow(/type \[2\] at offset 0x28: refers to type ID 999/);
  });

  it('cuts typedef cycles', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    const t1 = b.typedef('a', int);
    b.typedef('b', t1);
    const blob = b.encode();
    // Point typedef a at typedef b: a -> b -> a.
    new DataView(blob.buffer).setUint32(24 + 16 + 8, 3, true);
    const spec = Spec.parse(blob);
    expect(() => spec.resolve(2)).toThrow(/type \[2\] at offset 0x28: modifier chain longer than 32/);
    expect(() => spec.size(2)).toThrow(InvalidArgumentError);
  });

  it('cuts array cycles in size()', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    b.array(int, int, 1);
    const blob = b.encode();
    new DataView(blob.buffer).setUint32(24 + 16 + 12, 2, true); // elem type = itself
    expect(() => Spec.parse(blob).size(2)).toThrow(/array chain/);
  });
});
