// vmlinux BTF: first lookup (read + parse + find a FUNC) against libbpf's ~4.3 ms anchor
// (btf__load_vmlinux_btf 3.87 ms + btf__find_by_name_kind 0.37 ms, research/perf-baseline.md).
// Run after `pnpm --filter @bpfkit/btf build`: node bench/btf.bench.mjs [iterations]
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kind, Spec } from '../dist/index.js';

const ANCHOR_MS = 4.3;
const N = Number(process.argv[2] ?? 20);
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(2)} ms`;

// 1. A fresh process each time: what a CLI pays on its first attach (cold JIT included).
const cold = [];
for (let i = 0; i < Math.min(N, 20); i++) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    const t0 = performance.now();
    const { Spec, Kind } = await import(${JSON.stringify(dist)});
    const { readFileSync } = await import('node:fs');
    const t1 = performance.now();
    const blob = readFileSync('/sys/kernel/btf/vmlinux');
    const t2 = performance.now();
    const spec = Spec.parse(blob, { name: 'vmlinux' });
    void spec.typeCount;
    const t3 = performance.now();
    spec.typeId('do_sys_openat2', Kind.Func);
    const t4 = performance.now();
    console.log(JSON.stringify({ imp: t1 - t0, read: t2 - t1, walk: t3 - t2, first: t4 - t3, total: t4 - t1 }));`]);
  cold.push(JSON.parse(out.toString()));
}
const coldMedian = (phase) => fmt(median(cold.map((c) => c[phase])));

// The same 1,347 read(2) calls into one reused, already faulted-in buffer: the syscalls alone,
// without the first touch of a fresh 5.5 MB allocation that the real read pays.
const reused = readFileSync('/sys/kernel/btf/vmlinux');
function readIntoReused() {
  const fd = openSync('/sys/kernel/btf/vmlinux', 'r');
  let calls = 0;
  for (let off = 0, n = 1; n > 0 && off < reused.length; off += n, calls++) n = readSync(fd, reused, off, reused.length - off, off);
  closeSync(fd);
  return calls;
}

// 2. In one process: read, walk the type section, first lookup (scan), then indexed lookups.
const phases = { read: [], reread: [], walk: [], first: [], total: [], index: [], next: [] };
let readCalls = 0;
const names = ['task_struct', 'bpf_lsm_file_mprotect', 'btf_trace_sys_enter', 'tcp_congestion_ops', 'sk_buff', 'do_unlinkat'];
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  const blob = readFileSync('/sys/kernel/btf/vmlinux');
  const t1 = performance.now();
  const spec = Spec.parse(blob, { name: 'vmlinux' });
  void spec.typeCount;
  const t2 = performance.now();
  spec.typeId('do_sys_openat2', Kind.Func);
  const t3 = performance.now();
  spec.findTypeIds(names[0]);
  const t4 = performance.now();
  for (const n of names.slice(1)) spec.findTypeIds(n);
  const t5 = performance.now();
  const t6 = performance.now();
  readCalls = readIntoReused();
  phases.reread.push(performance.now() - t6);
  phases.read.push(t1 - t0);
  phases.walk.push(t2 - t1);
  phases.first.push(t3 - t2);
  phases.total.push(t3 - t0);
  phases.index.push(t4 - t3);
  phases.next.push((t5 - t4) / (names.length - 1));
}
const spec = Spec.parse(readFileSync('/sys/kernel/btf/vmlinux'));
console.log(`vmlinux BTF: ${(spec.data.length / 1e6).toFixed(1)} MB, ${spec.typeCount} types; ${N} runs, medians`);
console.log(`  fresh process: import ${coldMedian('imp')}, read+parse+first lookup ${coldMedian('total')}  (libbpf anchor ${ANCHOR_MS} ms; libbpf cold 11.6 ms)`);
console.log(`    read ${coldMedian('read')}, walk ${coldMedian('walk')}, first lookup ${coldMedian('first')}  (read: fs.readSync still interpreted, first touch of 5.5 MB)`);
console.log(`  warm process:  read+parse+first lookup ${fmt(median(phases.total))}  (anchor ${ANCHOR_MS} ms, ratio ${(median(phases.total) / ANCHOR_MS).toFixed(2)})`);
console.log(`    read /sys/kernel/btf/vmlinux  ${fmt(median(phases.read))}  (sysfs hands out 4 KiB per read(2), whatever the size asked)`);
console.log(`      of which syscalls           ${fmt(median(phases.reread))}  (${readCalls} read(2) calls into a reused buffer; the rest is page faults)`);
console.log(`    walk the type section         ${fmt(median(phases.walk))}`);
console.log(`    first lookup (scan)           ${fmt(median(phases.first))}  (libbpf find_by_name_kind 0.37 ms)`);
console.log(`    second lookup (builds index)  ${fmt(median(phases.index))}`);
console.log(`    later lookups (indexed)       ${(median(phases.next) * 1000).toFixed(1)} µs each`);
