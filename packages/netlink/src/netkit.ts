/** netkit pairs (kernel 6.7+, CONFIG_NETKIT): BPF-programmable veth replacements for TCX-style attach. */
import { Errno, InvalidArgumentError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import { compareVersions, kernelVersion } from '@bpfkit/sys';
import { AF_UNSPEC, Ifla, IflaInfo, IflaNetkit, NlmFlags, RtmType } from './constants.js';
import { type Attr, attrNest, attrString, attrU32, encodeIfinfomsg } from './message.js';
import { checkIfname } from './names.js';
import { type NetnsRef, withNetnsFd } from './netns.js';
import { createLink } from './link.js';
import { type Request, withRtnl } from './socket.js';
import { attrKind, peerAttrs } from './veth.js';

/** `enum netkit_mode`: L3 (the kernel's default) has no link-layer header, L2 behaves like veth. */
export const NetkitMode = { L2: 0, L3: 1 } as const;
export type NetkitMode = (typeof NetkitMode)[keyof typeof NetkitMode];

/** `enum netkit_action` allowed as a default policy: what happens when no program is attached. */
export const NetkitPolicy = { Pass: 0, Drop: 2 } as const;
export type NetkitPolicy = (typeof NetkitPolicy)[keyof typeof NetkitPolicy];

export interface NetkitOptions {
  /** Default: the kernel's (L3). */
  mode?: NetkitMode;
  /** Default policy of the primary device. Default: the kernel's (Pass). */
  policy?: NetkitPolicy;
  /** Default policy of the peer device. Default: the kernel's (Pass). */
  peerPolicy?: NetkitPolicy;
  /** Create the peer directly in this network namespace. */
  peerNetns?: NetnsRef;
}

const NETKIT_MINIMUM_KERNEL = '6.7';

function checkEnum(value: unknown, allowed: Record<string, number>, argument: string): void {
  if (value !== undefined && !Object.values(allowed).includes(value as number)) {
    throw new InvalidArgumentError(argument, `must be one of ${Object.entries(allowed).map(([k, v]) => `${k} (${v})`).join(', ')}, got ${String(value)}`);
  }
}

export function newNetkitRequest(primary: string, peer: string, options: Omit<NetkitOptions, 'peerNetns'>, peerNetnsFd?: number): Request {
  const data: Attr[] = [attrNest(IflaNetkit.PEER_INFO, peerAttrs(peer, peerNetnsFd), encodeIfinfomsg())];
  if (options.policy !== undefined) data.push(attrU32(IflaNetkit.POLICY, options.policy));
  if (options.peerPolicy !== undefined) data.push(attrU32(IflaNetkit.PEER_POLICY, options.peerPolicy));
  if (options.mode !== undefined) data.push(attrU32(IflaNetkit.MODE, options.mode));
  return {
    type: RtmType.NEWLINK,
    flags: NlmFlags.CREATE | NlmFlags.EXCL,
    header: encodeIfinfomsg({ family: AF_UNSPEC }),
    attrs: [attrString(Ifla.IFNAME, primary), attrNest(Ifla.LINKINFO, [attrKind('netkit'), attrNest(IflaInfo.DATA, data)])],
    context: `create netkit pair ${primary}/${peer}`,
  };
}

/**
 * Creates a netkit pair (`ip link add <primary> type netkit [mode l2] [policy ...] peer name
 * <peer>`), both down. A kernel without netkit (before 6.7, or built without CONFIG_NETKIT)
 * answers EOPNOTSUPP "Unknown device type": that becomes NotSupportedError. Returns the index
 * of `primary`.
 */
export function createNetkit(primary: string, peer: string, options: NetkitOptions = {}): number {
  checkIfname(primary, 'primary');
  checkIfname(peer, 'peer');
  checkEnum(options.mode, NetkitMode, 'mode');
  checkEnum(options.policy, NetkitPolicy, 'policy');
  checkEnum(options.peerPolicy, NetkitPolicy, 'peerPolicy');
  const create = (fd?: number) => {
    const req = newNetkitRequest(primary, peer, options, fd);
    return withRtnl((rtnl) => {
      try {
        return createLink(rtnl, req, primary);
      } catch (err) {
        throw notSupported(err) ?? err;
      }
    });
  };
  return options.peerNetns === undefined ? create() : withNetnsFd(options.peerNetns, create);
}

function notSupported(err: unknown): NotSupportedError | undefined {
  if (!(err instanceof SyscallError) || err.errno !== Errno.EOPNOTSUPP) return undefined;
  if (err.hint !== undefined && !/unknown device type/i.test(err.hint)) return undefined;
  const newEnough = compareVersions(kernelVersion(), NETKIT_MINIMUM_KERNEL) >= 0;
  return new NotSupportedError('netkit device', {
    minimumKernel: NETKIT_MINIMUM_KERNEL,
    ...(newEnough ? { missingConfig: 'CONFIG_NETKIT' } : {}),
    detail: `the kernel answered ${err.code}${err.hint ? ` "${err.hint}"` : ''} to RTM_NEWLINK kind netkit`,
    cause: err,
  });
}
