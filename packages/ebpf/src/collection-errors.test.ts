import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import { loadCollection } from './collection.js';
import { loadCollectionSpec } from './collection-spec.js';
import { VerifierError } from './verifier-error.js';
import { compileBpf, expectNoFdLeak } from '@bpfkit/testing';

const HEAD = '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC("license") = "GPL";\n';

const UNCHECKED = `${HEAD}
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} values SEC(".maps");

__u64 fine = 0;

SEC("socket")
int good(void *ctx) {
  __sync_fetch_and_add(&fine, 1);
  return 0;
}

SEC("socket")
int unchecked(void *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&values, &key);
  return *v + 1; /* no NULL check */
}
`;

describe('loadCollection errors', () => {
  it('a verifier rejection names the program and quotes the C line; nothing stays open', () => {
    const obj = compileBpf(UNCHECKED);
    let caught: unknown;
    expectNoFdLeak(() => {
      try {
        loadCollection(obj);
      } catch (err) {
        caught = err;
        throw err;
      }
    });
    expect(caught).toBeInstanceOf(VerifierError);
    const err = caught as VerifierError;
    expect(err.message).toContain('program unchecked (section socket)');
    expect(err.message).toContain('return *v + 1; /* no NULL check */');
    // The good program alone loads.
    using coll = loadCollection(obj, { programs: ['good'] });
    expect(Object.keys(coll.programs)).toEqual(['good']);
  });

  it('rejects what is not a BPF object with InvalidArgumentError', () => {
    const obj = compileBpf(UNCHECKED);
    expect(() => loadCollectionSpec(new Uint8Array([1, 2, 3]))).toThrow(InvalidArgumentError);
    expect(() => loadCollectionSpec(obj.subarray(0, 200))).toThrow(InvalidArgumentError);
    expect(() => loadCollectionSpec(obj.subarray(0, obj.byteLength - 100))).toThrow(InvalidArgumentError);
    expect(() => loadCollectionSpec(readFileSync('/bin/true'))).toThrow(/not a little-endian 64-bit BPF relocatable object/);
    expect(() => loadCollectionSpec('/nonexistent/prog.o')).toThrow(SyscallError);
    expect(() => loadCollectionSpec(42 as never)).toThrow(InvalidArgumentError);
    const corrupt = obj.slice();
    corrupt.fill(0xff, 64, obj.byteLength);
    expect(() => loadCollectionSpec(corrupt)).toThrow(InvalidArgumentError);
  });

  it('names an unknown program section', () => {
    const obj = compileBpf(`${HEAD}SEC("kprobe_typo/do_sys_open") int p(void *ctx) { return 0; }`);
    expect(() => loadCollectionSpec(obj)).toThrow(/"kprobe_typo\/do_sys_open" is not a known program section/);
  });

  it('names the missing symbol a relocation refers to', () => {
    const obj = compileBpf(`${HEAD}extern __u64 not_defined_anywhere;\nSEC("socket") int p(void *ctx) { return not_defined_anywhere; }`);
    const err = (() => {
      try {
        loadCollectionSpec(obj);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SymbolNotFoundError);
    expect((err as SymbolNotFoundError).message).toMatch(/not_defined_anywhere.*p refers to it/);
  });

  it('rejects map definitions it cannot create', () => {
    const unknownMember = compileBpf(`${HEAD}struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __uint(colour, 3); __type(key, __u32); __type(value, __u32); } m SEC(".maps");\nSEC("socket") int p(void *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&m, &k) != 0; }`);
    expect(() => loadCollectionSpec(unknownMember)).toThrow(/map m: unsupported member "colour"/);
    const legacy = compileBpf(`${HEAD}struct bpf_map_def { unsigned int type, key_size, value_size, max_entries; };\nstruct bpf_map_def SEC("maps") old = { BPF_MAP_TYPE_ARRAY, 4, 4, 1 };\nSEC("socket") int p(void *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&old, &k) != 0; }`);
    expect(() => loadCollectionSpec(legacy)).toThrow(/legacy "maps" section/);
    const noType = compileBpf(`${HEAD}struct { __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } m SEC(".maps");\nSEC("socket") int p(void *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&m, &k) != 0; }`);
    expect(() => loadCollectionSpec(noType)).toThrow(/no __uint\(type/);
    // The kernel refuses a hash map with 0 entries: the error names the map; nothing leaks.
    const zero = compileBpf(`${HEAD}struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 0); __type(key, __u32); __type(value, __u32); } m SEC(".maps");\nSEC("socket") int p(void *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&m, &k) != 0; }`);
    expectNoFdLeak(() => loadCollection(zero));
    expect(() => loadCollection(zero)).toThrow(/create map m of <buffer>.*EINVAL/);
  });

  it('needs a pin path for maps pinned by name', () => {
    const obj = compileBpf(`${HEAD}struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); __uint(pinning, LIBBPF_PIN_BY_NAME); } pinned SEC(".maps");\nSEC("socket") int p(void *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&pinned, &k) != 0; }`);
    expect(() => loadCollection(obj)).toThrow(/pinned by name: pass pinPath/);
    expect(() => loadCollection(obj, { programs: ['nope'] })).toThrow(/has no program nope/);
  });
});
