import { describe, expect, it } from 'vitest';
import { loadCollection } from './collection.js';
import { loadCollectionSpec } from './collection-spec.js';
import { MapType, ProgramType } from './types.js';
import { compileBpf } from '@bpfkit/testing';
import { attachTracepoint } from './testing/tracepoint.js';

const COUNTER = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u64);
} by_pid SEC(".maps");

const volatile __u64 increment = 1;
// Tracepoint programs run for every task: count only the test's thread.
const volatile __u32 target_tid = 0;
__u64 total = 0;
__u64 getuid_calls = 0;

static __noinline int bump(void) {
  __u32 pid = bpf_get_current_pid_tgid() >> 32;
  if ((__u32)bpf_get_current_pid_tgid() != target_tid) return 0;
  __u64 *v = bpf_map_lookup_elem(&by_pid, &pid);
  if (v) {
    __sync_fetch_and_add(v, increment);
  } else {
    __u64 first = increment;
    bpf_map_update_elem(&by_pid, &pid, &first, BPF_NOEXIST);
  }
  __sync_fetch_and_add(&total, increment);
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx) {
  return bump();
}

SEC("tracepoint/syscalls/sys_enter_getuid")
int on_getuid(void *ctx) {
  if ((__u32)bpf_get_current_pid_tgid() != target_tid) return 0;
  __sync_fetch_and_add(&getuid_calls, 1);
  return bump();
}

char LICENSE[] SEC("license") = "GPL";
`;

const fire = (getppid: number, getuid: number): void => {
  for (let i = 0; i < getppid; i++) void process.ppid;
  for (let i = 0; i < getuid; i++) process.getuid!();
};

describe('loadCollectionSpec', () => {
  it('reads programs by section, BTF-defined maps, global data and variables', () => {
    const spec = loadCollectionSpec(compileBpf(COUNTER));
    expect(Object.keys(spec.programs).sort()).toEqual(['on_getppid', 'on_getuid']);
    const p = spec.programs.on_getppid!;
    expect(p).toMatchObject({ sectionName: 'tracepoint/syscalls/sys_enter_getppid', type: ProgramType.TracePoint, attachTo: 'syscalls/sys_enter_getppid', license: 'GPL' });
    // The subprogram is linked in after the program, with func info for both.
    expect(p.funcInfo.map((f) => spec.types!.type(f.typeId).name)).toEqual(['on_getppid', 'bump']);
    expect(p.lineInfo.length).toBeGreaterThan(0);
    expect(spec.maps.by_pid).toMatchObject({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 1024 });
    expect(spec.maps['.rodata']).toMatchObject({ type: MapType.Array, valueSize: 12, maxEntries: 1, freeze: true });
    expect(spec.maps['.bss']).toMatchObject({ type: MapType.Array, valueSize: 16, freeze: false });
    expect(spec.variables.increment).toMatchObject({ mapName: '.rodata', offset: 0, size: 8, constant: true });
    expect(Object.keys(spec.variables).sort()).toEqual(['getuid_calls', 'increment', 'target_tid', 'total']);
  });
});

describe('loadCollection', () => {
  it('counts by pid in a BTF hash map, with a .rodata constant set before load and a shared subprogram', () => {
    const spec = loadCollectionSpec(compileBpf(COUNTER));
    spec.variables.increment!.set(7n);
    spec.variables.target_tid!.set(process.pid); // the main thread's tid is the pid
    using coll = loadCollection(spec);
    expect(coll.maps.by_pid!.info().btfId).toBeGreaterThan(0);
    const ppid = attachTracepoint(coll.programs.on_getppid!, 'syscalls', 'sys_enter_getppid');
    const uid = attachTracepoint(coll.programs.on_getuid!, 'syscalls', 'sys_enter_getuid');
    try {
      fire(5, 3);
    } finally {
      ppid.close();
      uid.close();
    }
    expect(coll.maps.by_pid!.lookupU64(process.pid)).toBe(56n);
    expect(coll.variables.total!.getBigUint()).toBe(56n);
    expect(coll.variables.getuid_calls!.getBigUint()).toBe(3n);
    expect(coll.variables.increment!.getBigUint()).toBe(7n);
    // .rodata is frozen: user space can no longer change what the verifier folded.
    expect(() => coll.variables.increment!.set(1n)).toThrow(/EPERM/);
    fire(2, 2);
    expect(coll.maps.by_pid!.lookupU64(process.pid)).toBe(56n);
    expect(coll.variables.getuid_calls!.getBigUint()).toBe(3n);
  });
});
