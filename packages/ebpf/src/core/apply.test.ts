import { describe, expect, it } from 'vitest';
import { BtfBuilder, Spec } from '@bpfkit/btf';
import { NotSupportedError } from '@bpfkit/errors';
import { loadCollection } from '../collection.js';
import { loadCollectionSpec } from '../collection-spec.js';
import { compileBpf } from '@bpfkit/testing';

// Every relocation kind, each in its own socket filter that returns the relocated value.
const KINDS = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct foo {
  int a;
  int b;
  unsigned int bf1:3;
  unsigned int bf2:5;
  int gone;
} __attribute__((preserve_access_index));

struct not_in_kernel { int x; };
enum colour { RED = 1, GREEN = 2, BLUE = 3 };

#define RET(name, expr) SEC("socket") int name(void *ctx) { return (expr); }
RET(off_b, bpf_core_field_offset(struct foo, b))
RET(size_b, bpf_core_field_size(struct foo, b))
RET(exists_b, bpf_core_field_exists(struct foo, b))
RET(exists_gone, bpf_core_field_exists(struct foo, gone))
RET(signed_b, __builtin_preserve_field_info(((struct foo *)0)->b, BPF_FIELD_SIGNED))
RET(off_bf2, bpf_core_field_offset(struct foo, bf2))
RET(lshift_bf2, __builtin_preserve_field_info(((struct foo *)0)->bf2, BPF_FIELD_LSHIFT_U64))
RET(rshift_bf2, __builtin_preserve_field_info(((struct foo *)0)->bf2, BPF_FIELD_RSHIFT_U64))
RET(type_size, bpf_core_type_size(struct foo))
RET(type_exists, bpf_core_type_exists(struct foo))
RET(type_missing, bpf_core_type_exists(struct not_in_kernel))
RET(type_id_target, bpf_core_type_id_kernel(struct foo))
RET(type_id_local, bpf_core_type_id_local(struct foo) != 0)
RET(enum_green, bpf_core_enum_value(enum colour, GREEN))
RET(enum_blue_exists, bpf_core_enum_value_exists(enum colour, BLUE))
RET(uses_gone, bpf_core_field_size(struct foo, gone))

char LICENSE[] SEC("license") = "GPL";
`;

/**
 * The "kernel": struct foo with b moved to offset 8 and narrowed to an unsigned short, the
 * bitfields moved, no `gone`; enum colour with GREEN = 20 and no BLUE.
 */
function kernelTypes(): { spec: Spec; fooId: number } {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const u16 = b.int('unsigned short', 2);
  const u32 = b.int('unsigned int', 4);
  const fooId = b.struct('foo', 16, [
    { name: 'a', type: int, bitOffset: 0 },
    { name: 'pad', type: int, bitOffset: 32 },
    { name: 'b', type: u16, bitOffset: 64 },
    { name: 'bf1', type: u32, bitOffset: 96, bitfieldSize: 3 },
    { name: 'bf2', type: u32, bitOffset: 99, bitfieldSize: 5 },
  ]);
  b.enum('colour', 4, [{ name: 'RED', value: 1 }, { name: 'GREEN', value: 20 }]);
  return { spec: Spec.parse(b.encode(), { name: 'test kernel' }), fooId };
}

const run = (coll: ReturnType<typeof loadCollection>, name: string): number =>
  coll.programs[name]!.testRun({ data: new Uint8Array(64) }).retval;

describe('CO-RE relocations', () => {
  it('patches every kind against the target BTF', () => {
    const { spec: target, fooId } = kernelTypes();
    const spec = loadCollectionSpec(compileBpf(KINDS));
    const names = Object.keys(spec.programs).filter((n) => n !== 'uses_gone');
    using coll = loadCollection(spec, { kernelTypes: target, programs: names });
    const got = Object.fromEntries(names.map((n) => [n, run(coll, n)]));
    expect(got).toEqual({
      off_b: 8,
      size_b: 2,
      exists_b: 1,
      exists_gone: 0,
      signed_b: 0,
      off_bf2: 12,
      lshift_bf2: 64 - (99 + 5 - 96),
      rshift_bf2: 64 - 5,
      type_size: 16,
      type_exists: 1,
      type_missing: 0,
      type_id_target: fooId,
      type_id_local: 1,
      enum_green: 20,
      enum_blue_exists: 0,
    });
  });

  it('leaves the compiled values when the target has the same layout', () => {
    const spec = loadCollectionSpec(compileBpf(KINDS));
    using coll = loadCollection(spec, { kernelTypes: spec.types, programs: ['off_b', 'size_b', 'signed_b', 'enum_green', 'exists_gone'] });
    expect(['off_b', 'size_b', 'signed_b', 'enum_green', 'exists_gone'].map((n) => run(coll, n))).toEqual([4, 4, 1, 2, 1]);
  });

  it('an unguarded use of a field the kernel lacks fails naming the program and the field', () => {
    const spec = loadCollectionSpec(compileBpf(KINDS));
    let caught: unknown;
    try {
      loadCollection(spec, { kernelTypes: kernelTypes().spec, programs: ['uses_gone'] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NotSupportedError);
    expect((caught as Error).message).toMatch(/program uses_gone .*byte_sz of foo\.gone/);
  });
});
