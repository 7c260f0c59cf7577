// The kprobe kinds: measurable only where the kernel has CONFIG_KPROBES / CONFIG_FPROBE and allows
// trampolines, i.e. in the kernel-matrix VMs (packages/bench/README.md has the command). Elsewhere
// each case is listed as "not measured" with the reason @bpfkit/link's feature probe gives.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, loadKernelBTF } from '@bpfkit/btf';
import { NotSupportedError } from '@bpfkit/errors';
import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachTracing, feature, kprobe, kprobeMulti, kretprobe, type AttachKind, type Link } from '@bpfkit/link';
import * as sys from '@bpfkit/sys';
import { tracefsPath } from '@bpfkit/tracefs';
import type { BenchCase } from './cases.js';
import type { BenchEnv } from './env.js';
import type { Cycle, Plan } from './sampler.js';

/** The function link's own kprobe tests probe: present on every kernel of the matrix. */
const KPROBE_TARGET = 'do_sys_openat2';
/** The kernel's own fentry test target (net/bpf/test_run.c), never called outside BPF_PROG_TEST_RUN. */
const FENTRY_TARGET = 'bpf_fentry_test1';

const closeLink = (l: Link): void => l.close();
const msPlan = (samples: number): { plan: Plan; rounds: number } => ({ plan: { samples, batch: 1, warmup: 2 }, rounds: 3 });

/** "not measured: <why>" where the kernel lacks the kind, from link's probe (missing config, version, refusal). */
function unsupported(kind: AttachKind): string | undefined {
  const f = feature(kind);
  if (f.supported) return undefined;
  const why = f.missingConfig ? `kernel without ${f.missingConfig}` : f.refusal ? `refused here (${f.refusal})` : (f.reason ?? 'not supported');
  return `not measured: ${kind} ${why}; run it in a kernel-matrix VM`;
}

/**
 * K kernel functions kprobe_multi can attach, the same on both sides: plain names listed once in
 * available_filter_functions, evenly spaced over the sorted list, leaving out the families the
 * kernel's own kprobe_multi bench avoids (bpf_, rcu_, trace_, idle loops).
 */
function multiSymbols(dir: string): (k: number) => { symbols: string[]; file: string } {
  let all: string[] | undefined;
  return (k) => {
    all ??= attachableCandidates();
    if (all.length < k) throw new NotSupportedError(`kprobe_multi on ${k} functions`, { detail: `only ${all.length} candidates in available_filter_functions` });
    const symbols = Array.from({ length: k }, (_, i) => all![Math.floor((i * all!.length) / k)]!);
    const file = join(dir, `kprobe-multi-${k}.txt`);
    if (!existsSync(file)) writeFileSync(file, `${symbols.join('\n')}\n`);
    return { symbols, file };
  };
}

function attachableCandidates(): string[] {
  const list = `${tracefsPath()}/available_filter_functions`;
  if (!existsSync(list)) throw new NotSupportedError('available_filter_functions', { detail: 'tracefs has no function list (no function tracer)' });
  const counts = new Map<string, number>();
  for (const line of readFileSync(list, 'latin1').split('\n')) {
    const name = line.split(/[\s[]/, 1)[0]!;
    // A module's function ("name [mod]") counts as a duplicate: it may be unloaded mid-run.
    if (name) counts.set(name, (counts.get(name) ?? 0) + (line.includes('[') ? 2 : 1));
  }
  const avoid = /^(bpf_|__bpf|rcu_|__rcu|trace_|__trace|ftrace|fprobe|rethook|kprobe)|idle/;
  return [...counts].filter(([n, c]) => c === 1 && /^[a-z][a-z0-9_]*$/.test(n) && !avoid.test(n)).map(([n]) => n).sort();
}

export function kprobeCases(env: BenchEnv, group: string): BenchCase[] {
  const msTarget = { maxRatio: 1.02, text: '≤ 1.02× C' };
  const cases: BenchCase[] = [];
  for (const ret of [false, true]) {
    const kind = ret ? 'kretprobe' : 'kprobe';
    const skipped = unsupported(kind);
    cases.push({
      id: `attach.${kind}`,
      group,
      label: `${kind} ${KPROBE_TARGET} (kprobe PMU + perf link)`,
      ...msPlan(5),
      ...(skipped
        ? { skipped }
        : {
            native: () => ({ name: 'kprobe', args: { symbol: KPROBE_TARGET, ret: Number(ret) } }),
            ts: () => {
              const program = env.program(ProgramType.Kprobe, 0);
              const attach = ret ? kretprobe : kprobe;
              return { attach: () => attach(KPROBE_TARGET, program), detach: closeLink };
            },
          }),
      target: msTarget,
    });
  }
  const multi = unsupported('kprobe_multi');
  const symbols = multiSymbols(env.dir);
  for (const k of [1, 10, 100]) {
    cases.push({
      id: `attach.kprobe_multi.${k}`,
      group,
      label: `kprobe_multi, K = ${k} (symbols from available_filter_functions)`,
      ...msPlan(4),
      ...(multi
        ? { skipped: multi }
        : {
            native: () => ({ name: 'kprobe_multi', args: { symbols: symbols(k).file } }),
            ts: () => {
              const program = env.program(ProgramType.Kprobe, 0, AttachType.TraceKprobeMulti);
              const syms = symbols(k).symbols;
              return { attach: () => kprobeMulti(program, { symbols: syms }), detach: closeLink };
            },
            reference: {
              label: 'sys.linkCreate',
              ts: () => {
                const progFd = env.program(ProgramType.Kprobe, 0, AttachType.TraceKprobeMulti).fd;
                const syms = symbols(k).symbols;
                return { attach: () => sys.linkCreate({ kind: 'kprobeMulti', progFd, attachType: AttachType.TraceKprobeMulti, syms }), detach: (fd: sys.FD) => fd.close() } as Cycle;
              },
            },
          }),
      target: msTarget,
    });
  }
  const fentry = unsupported('fentry');
  cases.push({
    id: 'attach.fentry',
    group,
    label: `fentry ${FENTRY_TARGET} (trampoline)`,
    ...msPlan(5),
    ...(fentry
      ? { skipped: fentry }
      : {
          native: () => ({
            name: 'fentry',
            args: { btfid: loadKernelBTF().typeId(FENTRY_TARGET, Kind.Func), link: Number(feature('fentry').mechanism === 'bpf_link') },
          }),
          ts: () => {
            const program = env.program(ProgramType.Tracing, 0, AttachType.TraceFEntry, FENTRY_TARGET);
            const mechanism = feature('fentry').mechanism === 'bpf_link' ? 'bpf_link' : 'raw_tracepoint_open';
            return { attach: () => attachTracing({ program, attachType: AttachType.TraceFEntry, mechanism }), detach: closeLink };
          },
        }),
    target: msTarget,
  });
  return cases;
}
