import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Kind, Spec } from '@bpfkit/btf';
import { NotSupportedError } from '@bpfkit/errors';
import { asm, AttachType, counterProgram, Program, ProgramType } from '@bpfkit/ebpf';
import { ElfFile } from '@bpfkit/elf';
import { attachCgroup, attachSocketFilter, detachSocketFilter, type Link } from '@bpfkit/link';
import { withNetns } from '@bpfkit/netlink';
import * as sys from '@bpfkit/sys';
import { tracefsPath } from '@bpfkit/tracefs';
import { ret, tpBtfId, type BenchEnv } from './env.js';
import { kprobeCases } from './kprobe-cases.js';
import { landing, type LandingLinkApi } from './link-api.js';
import type { NativeCase } from './native.js';
import type { Cycle, Plan } from './sampler.js';

export interface Target {
  /** TS / C of the same run. */
  maxRatio?: number;
  /** TS / the reference TS side (Program.load against sys.progLoad). */
  maxRefRatio?: number;
  /** An absolute bound (ns) from an anchor that is not re-measured here (libbpf, libelf). */
  maxNs?: number;
  text: string;
}

export interface BenchCase {
  id: string;
  group: string;
  label: string;
  plan: Plan;
  rounds: number;
  /** The C side, built when the case runs (it may need the environment). */
  native?: () => NativeCase;
  /** The TS side; undefined with `missing` set when the library does not have it yet. */
  ts?: () => Cycle;
  /** A second TS side measured in the same rounds (the raw sys call a wrapper is compared with). */
  reference?: { label: string; ts: () => Cycle };
  /** Each sample is a fresh process that reports its own first-iteration time. */
  cold?: boolean;
  /** Runs each TS batch inside this (the netns of the XDP and TCX cases). */
  around?: <T>(fn: () => T) => T;
  target?: Target;
  missing?: string;
  /** Not run at all, C side included (too long for a bounded run), and why. */
  skipped?: string;
  note?: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const NODE = '/usr/bin/node';
const closeLink = (l: Link): void => l.close();

/** A link kind's attach function, or the reason the case cannot run on this branch. */
function kind<K extends keyof LandingLinkApi>(name: K): { fn?: LandingLinkApi[K]; missing?: string } {
  const fn = landing(name);
  return fn ? { fn } : { missing: `not built yet: @bpfkit/link has no ${name}() on this branch` };
}

const TRACEPOINTS = [
  ['syscalls', 'sys_enter_getpid'],
  ['syscalls', 'sys_exit_getpid'],
  ['sched', 'sched_process_exec'],
  ['sched', 'sched_process_exit'],
] as const;

/** Tracepoints this kernel has (syscall tracepoints need CONFIG_FTRACE_SYSCALLS), the first first. */
export function tracepointNames(): { group: string; name: string; idPath: string }[] {
  const root = tracefsPath();
  const found = TRACEPOINTS.map(([group, name]) => ({ group, name, idPath: `${root}/events/${group}/${name}/id` })).filter((t) => existsSync(t.idPath));
  if (found.length === 0) throw new NotSupportedError('tracepoints', { detail: `none of ${TRACEPOINTS.map((t) => t.join('/')).join(', ')} in ${root}/events` });
  return found;
}

const tracepointName = (): { group: string; name: string; idPath: string } => tracepointNames()[0]!;

export function allCases(env: BenchEnv, opts: { separateUprobeMax: number }): BenchCase[] {
  const us = { rounds: 5 };
  const ms = { rounds: 3 };
  const cases: BenchCase[] = [];

  // --- the floor ---
  const infoMap = env.counterMap();
  const info = new Uint8Array(sys.MAP_INFO_SIZE);
  cases.push(
    {
      id: 'floor.koffi',
      group: 'floor',
      label: 'bare koffi call: sys.gettid() vs syscall(SYS_gettid)',
      plan: { samples: 300, batch: 100, warmup: 5000 },
      ...us,
      native: () => ({ name: 'floor.gettid' }),
      ts: () => ({ attach: () => sys.gettid() }),
      note: 'what koffi adds to any libc call',
    },
    {
      id: 'floor.obj_info',
      group: 'floor',
      label: 'bpf(BPF_OBJ_GET_INFO_BY_FD) through sys (map fd)',
      plan: { samples: 300, batch: 100, warmup: 5000 },
      ...us,
      native: () => ({ name: 'floor.obj_info', args: { infolen: info.byteLength } }),
      ts: () => ({ attach: () => sys.objGetInfoByFd(infoMap.fd, info) }),
      note: 'a map: its info has no pointer fields, so one buffer is reused',
    },
  );

  // --- program load + close ---
  const ret0 = ret(0);
  const ret0Bytes = asm.encode(ret0);
  const counterMap = env.counterMap();
  const counter = counterProgram(counterMap);
  const counterBytes = asm.encode(counter);
  const rawLoad = (insns: Uint8Array): Cycle => ({ attach: () => sys.progLoad({ progType: ProgramType.SocketFilter, insns, license: 'GPL' }).close() });
  const load = (instructions: typeof ret0): Cycle => ({
    attach: () => Program.load({ type: ProgramType.SocketFilter, instructions, license: 'GPL' }).close(),
  });
  const loadPlan = { plan: { samples: 200, batch: 1, warmup: 30 }, ...us };
  cases.push(
    {
      id: 'load.sys.2',
      group: 'program load + close',
      label: 'sys.progLoad, 2 insns (socket filter)',
      ...loadPlan,
      native: () => ({ name: 'load', args: { type: ProgramType.SocketFilter, insns: hex(ret0Bytes) } }),
      ts: () => rawLoad(ret0Bytes),
      target: { maxRatio: 1.1, text: '≤ 1.10× C' },
    },
    {
      id: 'load.program.2',
      group: 'program load + close',
      label: 'Program.load, 2 insns',
      ...loadPlan,
      native: () => ({ name: 'load', args: { type: ProgramType.SocketFilter, insns: hex(ret0Bytes) } }),
      ts: () => load(ret0),
      reference: { label: 'sys.progLoad', ts: () => rawLoad(ret0Bytes) },
      target: { maxRatio: 1.1, maxRefRatio: 1.05, text: '≤ 1.10× C, ≤ 1.05× sys.progLoad' },
    },
    {
      id: 'load.sys.counter',
      group: 'program load + close',
      label: `sys.progLoad, counter program (${counterBytes.length / 8} slots, map fd)`,
      ...loadPlan,
      native: () => ({ name: 'load', args: { type: ProgramType.SocketFilter, insns: hex(counterBytes), map: 1 } }),
      ts: () => rawLoad(counterBytes),
      target: { maxRatio: 1.1, text: '≤ 1.10× C' },
    },
    {
      id: 'load.program.counter',
      group: 'program load + close',
      label: 'Program.load, counter program (asm)',
      ...loadPlan,
      native: () => ({ name: 'load', args: { type: ProgramType.SocketFilter, insns: hex(counterBytes), map: 1 } }),
      ts: () => load(counter),
      reference: { label: 'sys.progLoad', ts: () => rawLoad(counterBytes) },
      target: { maxRatio: 1.1, maxRefRatio: 1.05, text: '≤ 1.10× C, ≤ 1.05× sys.progLoad' },
    },
  );

  // --- attach + detach through @bpfkit/link: µs-scale ---
  const group = 'attach + detach';
  const sock = sys.socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
  env.defer(() => sock.close());
  const nf = kind('attachNetfilter');
  const cgroupCase = (mechanism: 'bpf_link' | 'prog_attach', native: string, label: string): BenchCase => ({
    id: `attach.${native}`,
    group,
    label,
    plan: { samples: 300, batch: 1, warmup: 30 },
    ...us,
    native: () => ({ name: native, args: { cgroup: env.cgroup } }),
    ts: () => {
      const program = env.program(ProgramType.CGroupSKB, 1, AttachType.CGroupInetIngress);
      const path = env.cgroup;
      return { attach: () => attachCgroup({ path, attach: AttachType.CGroupInetIngress, program, mechanism }), detach: closeLink };
    },
    target: { maxRatio: 1.1, text: '≤ 1.10× C' },
  });
  cases.push(
    {
      id: 'attach.socket_filter',
      group,
      label: 'socket filter: SO_ATTACH_BPF + SO_DETACH_BPF',
      plan: { samples: 500, batch: 20, warmup: 500 },
      ...us,
      native: () => ({ name: 'sockfilter' }),
      ts: () => {
        const prog = env.program(ProgramType.SocketFilter, 0);
        return { attach: () => attachSocketFilter(sock.fd, prog), detach: () => detachSocketFilter(sock.fd) };
      },
      target: { maxRatio: 1.5, text: '≤ 1.5× C' },
    },
    cgroupCase('bpf_link', 'cgroup.link', 'cgroup link (INET_INGRESS): attachCgroup + close'),
    cgroupCase('prog_attach', 'cgroup.prog_attach', 'cgroup BPF_PROG_ATTACH (multi): attachCgroup + close'),
    {
      id: 'attach.netfilter',
      group,
      label: 'netfilter link (IPv4 LOCAL_IN)',
      plan: { samples: 300, batch: 1, warmup: 30 },
      ...us,
      native: () => ({ name: 'netfilter', args: { priority: 12345 } }),
      ...(nf.fn
        ? {
            ts: () => {
              const program = env.program(ProgramType.Netfilter, 1, AttachType.Netfilter);
              const attach = nf.fn!;
              return { attach: () => attach({ program, protocolFamily: 2, hook: 1, priority: 12345 }), detach: closeLink };
            },
          }
        : { missing: nf.missing }),
      target: { maxRatio: 1.1, text: '≤ 1.10× C' },
    },
  );

  // --- attach + detach: ms-scale (grace periods) ---
  const inNetns = <T>(fn: () => T): T => withNetns(env.netns, fn);
  const xdp = kind('attachXDP');
  const tcx = kind('attachTCX');
  const tp = kind('tracepoint');
  const rawTp = kind('attachRawTracepoint');
  const tracing = kind('attachTracing');
  const exe = kind('openExecutable');
  const msPlan = (samples: number): { plan: Plan; rounds: number } => ({ plan: { samples, batch: 1, warmup: 2 }, ...ms });
  const msTarget: Target = { maxRatio: 1.02, text: '≤ 1.02× C' };
  cases.push(
    {
      id: 'attach.xdp',
      group,
      label: "XDP link on lo (generic; own netns), interface 'lo'",
      ...msPlan(8),
      native: () => ({ name: 'xdp', args: { netns: env.netns.path, ifindex: 1 } }),
      ...(xdp.fn
        ? {
            ts: () => {
              const program = env.program(ProgramType.XDP, 2, AttachType.XDP);
              const attach = xdp.fn!;
              return { attach: () => attach({ program, interface: 'lo' }), detach: closeLink };
            },
            around: inNetns,
          }
        : { missing: xdp.missing }),
      target: msTarget,
    },
    {
      id: 'attach.tcx',
      group,
      label: "TCX ingress link on lo (own netns), interface 'lo'",
      ...msPlan(8),
      native: () => ({ name: 'tcx', args: { netns: env.netns.path, ifindex: 1 } }),
      ...(tcx.fn
        ? {
            ts: () => {
              const program = env.program(ProgramType.SchedCLS, 0, AttachType.TCXIngress);
              const attach = tcx.fn!;
              return { attach: () => attach({ program, interface: 'lo', attach: AttachType.TCXIngress }), detach: closeLink };
            },
            around: inNetns,
          }
        : { missing: tcx.missing }),
      target: msTarget,
    },
    {
      id: 'attach.xdp.held',
      group,
      label: "XDP link on lo, same program already on another device (no grace period)",
      plan: { samples: 200, batch: 1, warmup: 20 },
      ...us,
      native: () => ({ name: 'xdp.held', args: { netns: env.netns.path, holder: env.holderNetns('c').path } }),
      ...(xdp.fn
        ? {
            ts: () => {
              const program = env.program(ProgramType.XDP, 2, AttachType.XDP);
              const attach = xdp.fn!;
              const holder = withNetns(env.holderNetns('ts'), () => attach({ program, interface: 'lo' }));
              env.defer(() => holder.close());
              return { attach: () => attach({ program, interface: 'lo' }), detach: closeLink };
            },
            around: inNetns,
          }
        : { missing: xdp.missing }),
      target: { maxRatio: 1.1, text: '≤ 1.10× C' },
      note: "µs-scale: here resolveInterface's netlink round trip shows",
    },
    {
      id: 'attach.tracepoint',
      group,
      label: 'tracepoint: perf_event_open + perf link (+ tracefs id read)',
      ...msPlan(5),
      native: () => ({ name: 'tracepoint', args: { idpath: tracepointName().idPath } }),
      ...(tp.fn
        ? {
            ts: () => {
              const program = env.program(ProgramType.TracePoint, 0);
              const { group: g, name } = tracepointName();
              const attach = tp.fn!;
              return { attach: () => attach(g, name, program), detach: closeLink };
            },
          }
        : { missing: tp.missing }),
      target: msTarget,
    },
    {
      id: 'attach.raw_tracepoint',
      group,
      label: 'raw tracepoint sys_enter (BPF_RAW_TRACEPOINT_OPEN)',
      ...msPlan(10),
      native: () => ({ name: 'raw_tp', args: { tp: 'sys_enter' } }),
      ...(rawTp.fn
        ? {
            ts: () => {
              const program = env.program(ProgramType.RawTracepoint, 0);
              const attach = rawTp.fn!;
              return { attach: () => attach({ name: 'sys_enter', program }), detach: closeLink };
            },
          }
        : { missing: rawTp.missing }),
      target: msTarget,
    },
    {
      id: 'attach.tp_btf',
      group,
      label: 'tp_btf sys_enter (BPF_LINK_CREATE)',
      ...msPlan(10),
      native: () => ({ name: 'tp_btf', args: { btfid: tpBtfId('sys_enter') } }),
      ...(tracing.fn
        ? {
            ts: () => {
              const program = env.program(ProgramType.Tracing, 0, AttachType.TraceRawTp, 'sys_enter');
              const attach = tracing.fn!;
              return { attach: () => attach({ program }), detach: closeLink };
            },
          }
        : { missing: tracing.missing }),
      target: msTarget,
    },
  );

  // --- uprobes: one, uprobe_multi with K symbols, K separate uprobes ---
  const executable = (() => {
    let opened: ReturnType<LandingLinkApi['openExecutable']> | undefined;
    return () => (opened ??= exe.fn!(env.uprobeTarget.path));
  })();
  const uprobeNative = (name: string, k: number) => (): NativeCase => ({
    name,
    args: { path: env.uprobeTarget.path, offsets: env.uprobeTarget.offsetsFile(k) },
  });
  cases.push({
    id: 'attach.uprobe',
    group,
    label: 'uprobe (PMU perf event + perf link), generated binary',
    ...msPlan(4),
    native: uprobeNative('uprobe', 1),
    ...(exe.fn
      ? {
          ts: () => {
            const program = env.program(ProgramType.Kprobe, 0);
            const [symbol] = env.uprobeTarget.symbols;
            return { attach: () => executable().uprobe(symbol!, program), detach: closeLink };
          },
        }
      : { missing: exe.missing }),
    target: msTarget,
  });
  for (const k of [1, 10, 100, 1000]) {
    cases.push({
      id: `attach.uprobe_multi.${k}`,
      group,
      label: `uprobe_multi, K = ${k}`,
      ...msPlan(4),
      native: uprobeNative('uprobe_multi', k),
      ...(exe.fn
        ? {
            ts: () => {
              const program = env.program(ProgramType.Kprobe, 0, AttachType.TraceUprobeMulti);
              const symbols = env.uprobeTarget.symbols.slice(0, k);
              return { attach: () => executable().uprobeMulti(symbols, program), detach: closeLink };
            },
          }
        : { missing: exe.missing }),
      target: msTarget,
    });
  }
  for (const k of [10, 100, 1000]) {
    const skipped = k > opts.separateUprobeMax;
    cases.push({
      id: `attach.uprobe_separate.${k}`,
      group,
      label: `K = ${k} separate uprobes (attach all, close all)`,
      plan: { samples: 1, batch: 1, warmup: 1 },
      rounds: 2,
      native: uprobeNative('uprobe_separate', k),
      ...(skipped
        ? { skipped: `capped: each close costs ~115 ms of kernel time (~${Math.round((k * 0.115 * 8) / 60)} min for this row); BENCH_SEPARATE_UPROBES_MAX=${k} runs it` }
        : exe.fn
          ? {
              ts: () => {
                const program = env.program(ProgramType.Kprobe, 0);
                const symbols = env.uprobeTarget.symbols.slice(0, k);
                return {
                  attach: () => symbols.map((s) => executable().uprobe(s, program)),
                  detach: (links: Link[]) => links.forEach(closeLink),
                } as Cycle;
              },
            }
          : { missing: exe.missing }),
      target: msTarget,
    });
  }
  cases.push(...kprobeCases(env, group));

  // --- vmlinux BTF ---
  const vmlinux = '/sys/kernel/btf/vmlinux';
  const btfFirst = (): number => Spec.parse(readFileSync(vmlinux), { name: 'vmlinux' }).typeId('do_sys_openat2', Kind.Func);
  const warm = (): Spec => {
    const spec = Spec.parse(readFileSync(vmlinux), { name: 'vmlinux' });
    spec.typeId('do_sys_openat2', Kind.Func);
    spec.findTypeIds('task_struct');
    return spec;
  };
  cases.push(
    {
      id: 'btf.cold',
      group: 'vmlinux BTF',
      label: 'fresh process: import + read + parse + first lookup',
      plan: { samples: 4, batch: 1, warmup: 0 },
      ...ms,
      cold: true,
      native: () => ({ name: 'btf.first', args: { fn: 'do_sys_openat2' } }),
      ts: () => ({ attach: () => freshNode(BTF_COLD_SCRIPT) }),
      target: { maxNs: 11.6e6, text: "≤ libbpf's cold 11.6 ms (anchor)" },
      note: 'TS includes the module import and cold JIT; C is a fresh process from main()',
    },
    {
      id: 'btf.first',
      group: 'vmlinux BTF',
      label: 'first lookup: read + parse + find FUNC do_sys_openat2',
      plan: { samples: 15, batch: 1, warmup: 3 },
      ...ms,
      native: () => ({ name: 'btf.first', args: { fn: 'do_sys_openat2' } }),
      ts: () => ({ attach: btfFirst }),
      target: { maxNs: 4.3e6, text: "≤ libbpf's 4.3 ms (anchor)" },
      note: 'C: read + walk + linear scan, no libbpf (libbpf also builds its indexes: 4.3 ms)',
    },
    {
      id: 'btf.warm',
      group: 'vmlinux BTF',
      label: 'warm lookup by name (FUNC do_sys_openat2)',
      plan: { samples: 30, batch: 5, warmup: 5 },
      ...ms,
      native: () => ({ name: 'btf.lookup', args: { fn: 'do_sys_openat2' } }),
      ts: () => {
        const spec = warm();
        return { attach: () => spec.typeId('do_sys_openat2', Kind.Func) };
      },
      note: 'C scans linearly (libbpf find_by_name_kind: 0.37 ms); bpfkit has a name index',
    },
    {
      id: 'btf.missing',
      group: 'vmlinux BTF',
      label: 'missing name (findTypeIds → [])',
      plan: { samples: 30, batch: 5, warmup: 5 },
      ...ms,
      native: () => ({ name: 'btf.missing', args: { fn: 'bpfkit_no_such_function' } }),
      ts: () => {
        const spec = warm();
        return { attach: () => spec.findTypeIds('bpfkit_no_such_function', Kind.Func) };
      },
      note: 'C: full scan (libbpf: 0.94 ms)',
    },
  );

  // --- ELF symbols of /usr/bin/node ---
  const uvRun = (() => {
    const elf = ElfFile.open(NODE);
    try {
      return elf.symbol('uv_run').value + 4n;
    } finally {
      elf.close();
    }
  })();
  const withElf = <T>(fn: (elf: ElfFile) => T): T => {
    const elf = ElfFile.open(NODE);
    try {
      return fn(elf);
    } finally {
      elf.close();
    }
  };
  const elfPlan = { plan: { samples: 15, batch: 1, warmup: 3 }, ...ms };
  cases.push(
    {
      id: 'elf.symbol',
      group: 'ELF (/usr/bin/node)',
      label: 'open + symbol("uv_run") + close',
      ...elfPlan,
      native: () => ({ name: 'elf.symbol', args: { path: NODE, symbol: 'uv_run' } }),
      ts: () => ({ attach: () => withElf((elf) => elf.symbol('uv_run').offset) }),
      target: { maxNs: 2.3e6, text: '≤ 2.3 ms (libelf 2.31 ms)' },
    },
    {
      id: 'elf.all',
      group: 'ELF (/usr/bin/node)',
      label: 'open + every symbol (name + value) + close',
      ...elfPlan,
      native: () => ({ name: 'elf.all', args: { path: NODE } }),
      ts: () => ({
        attach: () =>
          withElf((elf) => {
            let n = 0;
            elf.forEachSymbol((s) => {
              n += s.name.length + (s.value & 1);
            });
            return n;
          }),
      }),
      target: { maxNs: 1.5 * 10.9e6, text: "≤ 1.5× libelf's 10.9 ms" },
    },
    {
      id: 'elf.symbol_at',
      group: 'ELF (/usr/bin/node)',
      label: 'open + symbolAt(uv_run + 4) + close (builds the address index)',
      plan: { samples: 5, batch: 1, warmup: 1 },
      ...ms,
      native: () => ({ name: 'elf.symbol_at', args: { path: NODE, address: `0x${uvRun.toString(16)}` } }),
      ts: () => ({ attach: () => withElf((elf) => elf.symbolAt(uvRun).offset) }),
      note: 'C: one linear scan of .symtab (no index)',
    },
    {
      id: 'elf.symbol_at.warm',
      group: 'ELF (/usr/bin/node)',
      label: 'symbolAt(uv_run + 4) on an open file',
      plan: { samples: 20, batch: 10, warmup: 5 },
      ...us,
      native: () => ({ name: 'elf.symbol_at_warm', args: { path: NODE, address: `0x${uvRun.toString(16)}` } }),
      ts: () => {
        const elf = ElfFile.open(NODE);
        env.defer(() => elf.close());
        elf.symbolAt(uvRun);
        return { attach: () => elf.symbolAt(uvRun) };
      },
      note: 'C: linear scan per lookup; bpfkit: binary search in its index',
    },
  );
  return cases;
}

/** Runs a script in a fresh node process; the script prints its own ns figure (node's start-up excluded). */
function freshNode(script: string): number {
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
}

const btfEntry = createRequire(import.meta.url).resolve('@bpfkit/btf').replace(/index\.cjs$/, 'index.js');

const BTF_COLD_SCRIPT = `
const t0 = performance.now();
const { Spec, Kind } = await import(${JSON.stringify(btfEntry)});
const { readFileSync } = await import('node:fs');
Spec.parse(readFileSync('/sys/kernel/btf/vmlinux'), { name: 'vmlinux' }).typeId('do_sys_openat2', Kind.Func);
console.log((performance.now() - t0) * 1e6);
`;
