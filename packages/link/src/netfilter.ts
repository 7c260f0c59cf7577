import { InvalidArgumentError } from '@bpfkit/errors';
import { AttachType, ProgramType } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import { createLink, RawLink } from './link.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';

/** `enum nf_inet_hooks`. */
export const NetfilterInetHook = { PreRouting: 0, LocalIn: 1, Forward: 2, LocalOut: 3, PostRouting: 4 } as const;
export type NetfilterInetHook = (typeof NetfilterInetHook)[keyof typeof NetfilterInetHook];

/** NFPROTO_*: the kernel attaches BPF netfilter programs for IPv4 and IPv6. */
export const NetfilterProtocolFamily = { Unspec: 0, Inet: 1, IPv4: 2, ARP: 3, Netdev: 5, Bridge: 7, IPv6: 10 } as const;
export type NetfilterProtocolFamily = (typeof NetfilterProtocolFamily)[keyof typeof NetfilterProtocolFamily];

/** BPF_F_NETFILTER_*: the kernel's values (cilium's NetfilterIPDefrag is 0, which sets nothing). */
export const NetfilterAttachFlags = { IPDefrag: sys.NetfilterFlags.IPDefrag } as const;
export type NetfilterAttachFlags = (typeof NetfilterAttachFlags)[keyof typeof NetfilterAttachFlags];

export interface NetfilterOptions {
  /** A Netfilter program. */
  program: ProgramRef;
  /** NetfilterProtocolFamily.IPv4 or .IPv6. */
  protocolFamily: number;
  /** A NetfilterInetHook. */
  hook: number;
  /** Order among the hook's functions (lower runs first); INT_MIN and INT_MAX are reserved by the kernel. */
  priority: number;
  /** BPF_LINK_CREATE flags (none defined yet). */
  flags?: number;
  /** NetfilterAttachFlags, e.g. IPDefrag. */
  netfilterFlags?: number;
}

/** A Netfilter program attached to a netfilter hook of the calling thread's network namespace. */
export class NetfilterLink extends RawLink {
  protected override get label(): string {
    return 'netfilter link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function u32(value: number | undefined, argument: string, what: string): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidArgumentError(argument, `${what}: ${v} is not a 32-bit unsigned integer`);
  return v;
}

const nameOf = (table: Record<string, number>, v: number): string => Object.entries(table).find(([, x]) => x === v)?.[0] ?? String(v);

/** Attach a Netfilter program to a hook (kernel 6.4+), in the calling thread's network namespace. */
export function attachNetfilter(opts: NetfilterOptions): NetfilterLink {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach netfilter: must be an object');
  const what = 'attach netfilter';
  const progFd = typedProgramFd(opts.program, what, { Netfilter: ProgramType.Netfilter });
  const pf = u32(opts.protocolFamily, 'protocolFamily', what);
  const hook = opts.hook;
  if (!Object.values(NetfilterInetHook).includes(hook as NetfilterInetHook)) {
    throw new InvalidArgumentError('hook', `${what}: ${String(hook)} is not a netfilter hook (${Object.entries(NetfilterInetHook).map(([n, v]) => `${n} = ${v}`).join(', ')})`);
  }
  const priority = opts.priority;
  if (!Number.isInteger(priority) || priority < INT32_MIN || priority > INT32_MAX) {
    throw new InvalidArgumentError('priority', `${what}: ${String(priority)} is not a 32-bit signed integer`);
  }
  if (priority === INT32_MIN || priority === INT32_MAX) {
    throw new InvalidArgumentError('priority', `${what}: priority ${priority} is reserved by the kernel (NF_IP_PRI_${priority < 0 ? 'FIRST' : 'LAST'}); use one between them`);
  }
  const flags = u32(opts.flags, 'flags', what);
  const netfilterFlags = u32(opts.netfilterFlags, 'netfilterFlags', what);
  sys.haveBPFLink();
  const where = `${what} to ${nameOf(NetfilterProtocolFamily, pf)} ${nameOf(NetfilterInetHook, hook)} at priority ${priority}`;
  return new NetfilterLink(createLink({ kind: 'netfilter', progFd, attachType: AttachType.Netfilter, flags, pf, hooknum: hook, priority, netfilterFlags }, where));
}
