import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NotSupportedError } from '@bpfkit/errors';
import { loadCollection } from '../collection.js';
import { loadCollectionSpec } from '../collection-spec.js';
import { compileBpf, expectNoFdLeak } from '@bpfkit/testing';
import { attachTracepoint } from '../testing/tracepoint.js';

// A hand-written CO-RE header instead of a vmlinux.h dump: the fields this program reads, at
// whatever offsets clang picks. Relocation against each kernel's BTF must find the real ones,
// so the one object reads task_struct correctly on every kernel of the matrix.
const TASK_H = `
struct task_struct {
  int pid;
  int tgid;
  char comm[16];
  struct task_struct *real_parent;
  long no_such_field_anywhere;
} __attribute__((preserve_access_index));
`;

const READ_TASK = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "task.h"

struct seen { __u32 pid, tgid, parent_tgid, missing_exists; char comm[16]; __u64 runs; };
struct seen seen = {};
// Tracepoint programs run for every task: record only the test's thread.
const volatile __u32 target_tid = 0;

SEC("tracepoint/syscalls/sys_enter_getppid")
int read_task(void *ctx) {
  if ((__u32)bpf_get_current_pid_tgid() != target_tid) return 0;
  struct task_struct *t = (void *)bpf_get_current_task();
  seen.pid = BPF_CORE_READ(t, pid);
  seen.tgid = BPF_CORE_READ(t, tgid);
  seen.parent_tgid = BPF_CORE_READ(t, real_parent, tgid);
  BPF_CORE_READ_INTO(&seen.comm, t, comm);
  seen.missing_exists = bpf_core_field_exists(t->no_such_field_anywhere);
  if (bpf_core_field_exists(t->no_such_field_anywhere)) seen.pid = BPF_CORE_READ(t, no_such_field_anywhere);
  seen.runs++;
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int read_missing(void *ctx) {
  struct task_struct *t = (void *)bpf_get_current_task();
  seen.pid = BPF_CORE_READ(t, no_such_field_anywhere);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

describe('CO-RE against the running kernel', () => {
  it('reads task_struct pid, tgid, comm and real_parent->tgid of the triggering process', () => {
    const spec = loadCollectionSpec(compileBpf(READ_TASK, { 'task.h': TASK_H }));
    expect(spec.programs.read_task!.coreRelocations.length).toBeGreaterThan(4);
    spec.variables.target_tid!.set(process.pid);
    using coll = loadCollection(spec, { programs: ['read_task'] });
    {
      using tp = attachTracepoint(coll.programs.read_task!, 'syscalls', 'sys_enter_getppid');
      void process.ppid;
      void tp;
    }
    const seen = coll.variables.seen!.get();
    const v = new DataView(seen.buffer, seen.byteOffset);
    const comm = new TextDecoder().decode(seen.subarray(16, 32)).replace(/\0.*$/s, '');
    expect({ pid: v.getUint32(0, true), tgid: v.getUint32(4, true), parent: v.getUint32(8, true), missing: v.getUint32(12, true), comm, runs: v.getBigUint64(32, true) }).toEqual({
      pid: process.pid,
      tgid: process.pid,
      parent: process.ppid,
      missing: 0,
      comm: readFileSync('/proc/self/comm', 'utf8').trim(),
      runs: 1n,
    });
  });

  it('refuses an unguarded read of a field the kernel lacks, naming the program and field', () => {
    const obj = compileBpf(READ_TASK, { 'task.h': TASK_H });
    expectNoFdLeak(() => loadCollection(obj));
    expect(() => loadCollection(obj)).toThrow(NotSupportedError);
    expect(() => loadCollection(obj)).toThrow(/program read_missing .*task_struct\.no_such_field_anywhere/);
  });
});
