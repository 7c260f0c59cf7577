import { describe, expect, it } from 'vitest';
import { compileBpf, requireRoot } from '@bpfkit/testing';
import { loadCollection } from './collection.js';
import { loadCollectionSpec } from './collection-spec.js';
import { MapType } from './types.js';

const MAP_IN_MAP = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
};
struct inner inner_a SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, __u32);
  __array(values, struct inner);
} outer SEC(".maps");

__u64 custom SEC(".data.custom") = 41;
static const char greeting[] = "hello";

SEC("socket")
int through_outer(void *ctx) {
  __u32 k = 0;
  void *m = bpf_map_lookup_elem(&outer, &k);
  if (!m) return 0;
  __u64 *v = bpf_map_lookup_elem(m, &k);
  if (v) *v += custom + (greeting[4] == 'o');
  custom++;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

describe('map definitions', () => {
  it('creates a map-in-map from __array(values, …) and a custom .data.* section', (ctx) => {
    requireRoot(ctx);
    const spec = loadCollectionSpec(compileBpf(MAP_IN_MAP));
    expect(spec.maps.outer).toMatchObject({ type: MapType.ArrayOfMaps, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: { type: MapType.Array, valueSize: 8 } });
    expect(spec.maps['.data.custom']).toMatchObject({ type: MapType.Array, valueSize: 8, freeze: false });
    using coll = loadCollection(spec);
    coll.maps.outer!.update(0, new Uint8Array(new Int32Array([coll.maps.inner_a!.fd]).buffer));
    coll.programs.through_outer!.testRun({ data: new Uint8Array(64) });
    expect(coll.maps.inner_a!.lookupU64(0)).toBe(42n);
    expect(coll.variables.custom!.getBigUint()).toBe(42n);
  });
});
