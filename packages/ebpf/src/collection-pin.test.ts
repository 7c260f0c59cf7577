import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@bpfkit/errors';
import { loadCollection } from './collection.js';
import { Map } from './map.js';
import { MapType } from './types.js';
import { compileBpf, expectNoFdLeak } from '@bpfkit/testing';

const PINNED = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_counts SEC(".maps");

SEC("socket")
int count(void *ctx) {
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&shared_counts, &k);
  if (v) __sync_fetch_and_add(v, 1);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

describe('maps pinned by name', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync('/sys/fs/bpf/bpfkit-collection-');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('are created and pinned by the first load and reused by the next', () => {
    const obj = compileBpf(PINNED);
    using first = loadCollection(obj, { pinPath: dir });
    expect(first.maps.shared_counts!.pinnedPath).toBe(`${dir}/shared_counts`);
    first.programs.count!.testRun({ data: new Uint8Array(64) });
    using second = loadCollection(obj, { pinPath: dir });
    expect(second.maps.shared_counts!.info().id).toBe(first.maps.shared_counts!.info().id);
    second.programs.count!.testRun({ data: new Uint8Array(64), repeat: 2 });
    expect(first.maps.shared_counts!.lookupU64(0)).toBe(3n);
  });

  it('refuses a pinned map whose definition differs, leaving nothing open', () => {
    {
      using other = Map.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 4 });
      other.pin(`${dir}/shared_counts`);
    }
    expectNoFdLeak(() => loadCollection(compileBpf(PINNED), { pinPath: dir }));
    expect(() => loadCollection(compileBpf(PINNED), { pinPath: dir })).toThrow(InvalidArgumentError);
    expect(() => loadCollection(compileBpf(PINNED), { pinPath: dir })).toThrow(/shared_counts pinned at .* does not match/);
  });
});
