import { AttachType, programSpec, type Collection, type Program, type ProgramSpec } from '@bpfkit/ebpf';
import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';
import { attachCgroup } from './cgroup.js';
import { openExecutable } from './executable.js';
import type { InterfaceRef } from './interface.js';
import { attachIter } from './iter.js';
import { kprobe, kretprobe, syscallWrapper } from './kprobe.js';
import { kprobeMulti, kretprobeMulti } from './kprobe-multi.js';
import type { Link } from './link.js';
import { attachLSM } from './lsm.js';
import { attachNetkit } from './netkit.js';
import { attachNetNs, type NetNsTarget } from './netns.js';
import { attachRawTracepoint } from './raw-tracepoint.js';
import { attachTCX } from './tcx.js';
import { tracepoint } from './tracepoint.js';
import { attachTracing } from './tracing.js';
import { attachXDP } from './xdp.js';

/** What a section name cannot say: where network and cgroup programs go. */
export interface AttachOptions {
  /** XDP, tc/tcx and netkit programs: the interface (index or name). */
  interface?: InterfaceRef;
  /** cgroup programs: the cgroup v2 directory. */
  cgroup?: string;
  /** sk_lookup and flow_dissector programs: the network namespace (fd or path; default this process's). */
  netns?: NetNsTarget;
  /** uprobes and USDT: only this process. */
  pid?: number;
  /** kprobes, uprobes, tracepoints, tracing, LSM: read back with bpf_get_attach_cookie. */
  cookie?: number | bigint;
}

/** A section's target split at its last ':' (`/bin/bash:readline`), with libbpf's `+offset`. */
function splitProbe(target: string, what: string): { path: string; symbol: string; offset?: number } {
  const colon = target.lastIndexOf(':');
  if (colon <= 0 || colon === target.length - 1) throw new InvalidArgumentError('section', `${what}: expected <path>:<function>`);
  const [symbol, offset] = target.slice(colon + 1).split('+') as [string, string | undefined];
  return { path: target.slice(0, colon), symbol, ...(offset === undefined ? {} : { offset: Number(offset) }) };
}

function kernelFunction(target: string, what: string): { symbol: string; offset?: number } {
  const [symbol, offset] = target.split('+') as [string, string | undefined];
  if (!symbol) throw new InvalidArgumentError('section', `${what}: names no kernel function`);
  return { symbol, ...(offset === undefined ? {} : { offset: Number(offset) }) };
}

/** The part of a section name before its target: `kprobe`, `uretprobe.s`, `tcx/ingress`... */
const prefix = (spec: ProgramSpec): string => (spec.attachTo ? spec.sectionName.slice(0, -spec.attachTo.length - 1) : spec.sectionName);

function need<T>(value: T | undefined, option: string, what: string): T {
  if (value === undefined) throw new InvalidArgumentError(option, `${what}: the section does not say where to attach; pass ${option}`);
  return value;
}

/**
 * Attach a program loaded by `loadCollection` the way its ELF section says, as libbpf's
 * auto-attach does: `kprobe/do_sys_openat2` → kprobe(), `uprobe//bin/bash:readline` → the
 * uprobe, `tracepoint/syscalls/sys_enter_openat` → tracepoint(), `fentry/…` → attachTracing(),
 * `xdp` → attachXDP() on `opts.interface`, `cgroup_skb/egress` → attachCgroup() on `opts.cgroup`...
 * Sections that name no attach point (`socket`, `perf_event`, `struct_ops`, `freplace`) throw
 * NotSupportedError saying which attach function to use instead.
 */
export function attach(program: Program, opts: AttachOptions = {}): Link {
  const spec = programSpec(program);
  if (!spec) throw new InvalidArgumentError('program', 'attach by section: the program was not loaded by loadCollection, so its section is unknown');
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach by section: must be an object');
  const what = `attach ${spec.name} (section ${spec.sectionName})`;
  const { cookie } = opts;
  const target = spec.attachTo;
  const kind = prefix(spec);
  switch (kind) {
    case 'kprobe':
    case 'kretprobe': {
      const { symbol, offset } = kernelFunction(target, what);
      return (kind === 'kprobe' ? kprobe : kretprobe)(symbol, program, { cookie, ...(offset === undefined ? {} : { offset }) });
    }
    case 'ksyscall':
    case 'kretsyscall':
      return (kind === 'ksyscall' ? kprobe : kretprobe)(syscallWrapper(need(target || undefined, 'section', what)), program, { cookie });
    case 'kprobe.multi':
    case 'kretprobe.multi': {
      if (/[*?]/.test(target)) throw new NotSupportedError(`${what}: glob patterns in kprobe.multi sections`, { detail: 'pass the symbols to kprobeMulti() instead' });
      return (kind === 'kprobe.multi' ? kprobeMulti : kretprobeMulti)(program, { symbols: [need(target || undefined, 'section', what)] });
    }
    case 'uprobe':
    case 'uretprobe':
    case 'uprobe.s':
    case 'uretprobe.s': {
      const { path, symbol, offset } = splitProbe(target, what);
      using exe = openExecutable(path);
      const options = { cookie, ...(opts.pid === undefined ? {} : { pid: opts.pid }), ...(offset === undefined ? {} : { offset }) };
      return kind.startsWith('uprobe') ? exe.uprobe(symbol, program, options) : exe.uretprobe(symbol, program, options);
    }
    case 'uprobe.multi':
    case 'uretprobe.multi':
    case 'uprobe.multi.s':
    case 'uretprobe.multi.s': {
      const { path, symbol } = splitProbe(target, what);
      if (/[*?]/.test(symbol)) throw new NotSupportedError(`${what}: glob patterns in uprobe.multi sections`, { detail: 'pass the symbols to uprobeMulti() instead' });
      using exe = openExecutable(path);
      const options = opts.pid === undefined ? {} : { pid: opts.pid };
      return kind.startsWith('uprobe') ? exe.uprobeMulti([symbol], program, options) : exe.uretprobeMulti([symbol], program, options);
    }
    case 'usdt':
    case 'usdt.s': {
      // usdt/<path>:<provider>:<name>
      const parts = target.split(':');
      if (parts.length < 3) throw new InvalidArgumentError('section', `${what}: expected usdt/<path>:<provider>:<name>`);
      const name = parts.pop()!;
      const provider = parts.pop()!;
      using exe = openExecutable(parts.join(':'));
      return exe.usdt(provider, name, program, opts.pid === undefined ? {} : { pid: opts.pid });
    }
    case 'tracepoint':
    case 'tp': {
      const slash = target.indexOf('/');
      if (slash <= 0) throw new InvalidArgumentError('section', `${what}: expected ${kind}/<group>/<name>`);
      return tracepoint(target.slice(0, slash), target.slice(slash + 1), program, { cookie });
    }
    case 'raw_tracepoint':
    case 'raw_tp':
    case 'raw_tracepoint.w':
    case 'raw_tp.w':
      return attachRawTracepoint({ name: need(target || undefined, 'section', what), program, cookie });
    case 'tp_btf':
    case 'fentry':
    case 'fexit':
    case 'fmod_ret':
    case 'fentry.s':
    case 'fexit.s':
    case 'fmod_ret.s':
      return attachTracing({ program, attachType: spec.attachType, cookie });
    case 'lsm':
    case 'lsm.s':
      return attachLSM({ program, cookie });
    case 'iter':
    case 'iter.s':
      return attachIter({ program });
  }
  switch (spec.attachType) {
    case AttachType.XDP:
      return attachXDP({ program, interface: need(opts.interface, 'interface', what) });
    case AttachType.TCXIngress:
    case AttachType.TCXEgress:
      return attachTCX({ program, interface: need(opts.interface, 'interface', what), attach: spec.attachType });
    case AttachType.NetkitPrimary:
    case AttachType.NetkitPeer:
      return attachNetkit({ program, interface: need(opts.interface, 'interface', what), attach: spec.attachType });
    case AttachType.SkLookup:
    case AttachType.FlowDissector:
      return attachNetNs(opts.netns ?? '/proc/self/ns/net', program);
  }
  if (CGROUP_ATTACH.has(spec.attachType) && (kind.startsWith('cgroup') || kind === 'sockops')) {
    return attachCgroup({ path: need(opts.cgroup, 'cgroup', what), attach: spec.attachType, program });
  }
  throw new NotSupportedError(`${what}: attaching by section`, {
    detail: 'the section names no attach point (socket filters: attachSocketFilter; perf_event: attachPerfEvent; freplace: attachFreplace; struct_ops: attachStructOps; sk_skb/sk_msg/netfilter: attach explicitly)',
  });
}

const CGROUP_ATTACH = new Set<number>([
  AttachType.CGroupInetIngress, AttachType.CGroupInetEgress, AttachType.CGroupInetSockCreate, AttachType.CgroupInetSockRelease,
  AttachType.CGroupSockOps, AttachType.CGroupDevice, AttachType.CGroupInet4Bind, AttachType.CGroupInet6Bind,
  AttachType.CGroupInet4Connect, AttachType.CGroupInet6Connect, AttachType.CgroupUnixConnect, AttachType.CGroupInet4PostBind,
  AttachType.CGroupInet6PostBind, AttachType.CGroupUDP4Sendmsg, AttachType.CGroupUDP6Sendmsg, AttachType.CgroupUnixSendmsg,
  AttachType.CGroupUDP4Recvmsg, AttachType.CGroupUDP6Recvmsg, AttachType.CgroupUnixRecvmsg, AttachType.CGroupSysctl,
  AttachType.CGroupGetsockopt, AttachType.CGroupSetsockopt, AttachType.CgroupInet4GetPeername, AttachType.CgroupInet6GetPeername,
  AttachType.CgroupUnixGetpeername, AttachType.CgroupInet4GetSockname, AttachType.CgroupInet6GetSockname, AttachType.CgroupUnixGetsockname,
]);

/** Whether `attach(program, opts)` has everything it needs from the section and `opts`. */
function complete(spec: ProgramSpec, opts: AttachOptions): boolean {
  switch (spec.attachType) {
    case AttachType.XDP:
    case AttachType.TCXIngress:
    case AttachType.TCXEgress:
    case AttachType.NetkitPrimary:
    case AttachType.NetkitPeer:
      return opts.interface !== undefined;
    case AttachType.SkLookup:
    case AttachType.FlowDissector:
      return true;
  }
  if (CGROUP_ATTACH.has(spec.attachType) && (prefix(spec).startsWith('cgroup') || prefix(spec) === 'sockops')) return opts.cgroup !== undefined;
  return spec.attachTo !== '' && !/^(socket|perf_event|struct_ops|freplace|sk_|sk_skb|sk_msg|netfilter|syscall|lwt_|action|classifier|tc$)/.test(spec.sectionName);
}

/**
 * `attach()` every program of a collection whose section (with `opts`) says where it goes;
 * returns the links by program name. On any failure the links made so far are closed.
 */
export function attachAll(collection: Collection, opts: AttachOptions = {}): Record<string, Link> {
  const links: Record<string, Link> = {};
  try {
    for (const [name, program] of Object.entries(collection.programs)) {
      const spec = programSpec(program);
      if (spec && complete(spec, opts)) links[name] = attach(program, opts);
    }
  } catch (err) {
    for (const l of Object.values(links)) l.close();
    throw err;
  }
  return links;
}
