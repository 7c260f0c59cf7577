/** Links (network interfaces): look-up by name or index, listing, up/down, delete, move to a netns. */
import { BpfError } from '@bpfkit/errors';
import { AF_UNSPEC, IFINFOMSG_LEN, Ifla, IflaInfo, RTEXT_FILTER_SKIP_STATS, RtmType } from './constants.js';
import { attrMap, attrU32, decodeIfinfomsg, encodeIfinfomsg, type NetlinkMessage, readString, readU32 } from './message.js';
import { checkIfname, checkIfindex, type InterfaceRef, resolveLink } from './names.js';
import { type NetnsRef, withNetnsFd } from './netns.js';
import { type Request, type RtnlSocket, withRtnl } from './socket.js';

/** `IFF_*` interface flags (linux/if.h) as they appear in `InterfaceInfo.flags`. */
export const InterfaceFlags = {
  Up: 0x1,
  Broadcast: 0x2,
  Debug: 0x4,
  Loopback: 0x8,
  PointToPoint: 0x10,
  NoTrailers: 0x20,
  Running: 0x40,
  NoArp: 0x80,
  Promisc: 0x100,
  AllMulti: 0x200,
  Master: 0x400,
  Slave: 0x800,
  Multicast: 0x1000,
  PortSel: 0x2000,
  AutoMedia: 0x4000,
  Dynamic: 0x8000,
  LowerUp: 0x10000,
  Dormant: 0x20000,
  Echo: 0x40000,
} as const;
export type InterfaceFlags = (typeof InterfaceFlags)[keyof typeof InterfaceFlags];

export interface InterfaceInfo {
  index: number;
  name: string;
  /** The rtnl link kind (`'veth'`, `'netkit'`, `'bridge'`...); absent for physical devices and `lo`. */
  kind?: string;
  /** `IFF_*` bits, see `InterfaceFlags`. */
  flags: number;
  mtu: number;
  /** The link-layer address as lower-case hex bytes joined by `:`; absent when the device has none. */
  address?: string;
}

/** @deprecated The old name of InterfaceInfo (@bpfkit/link has its own LinkInfo). */
export type LinkInfo = InterfaceInfo;

const extMask = () => attrU32(Ifla.EXT_MASK, RTEXT_FILTER_SKIP_STATS);

export function decodeLink(msg: NetlinkMessage): InterfaceInfo {
  const hdr = decodeIfinfomsg(msg.payload);
  const attrs = attrMap(msg.payload.subarray(IFINFOMSG_LEN));
  const name = attrs.get(Ifla.IFNAME);
  const mtu = attrs.get(Ifla.MTU);
  const address = attrs.get(Ifla.ADDRESS);
  const linkinfo = attrs.get(Ifla.LINKINFO);
  const kind = linkinfo ? attrMap(linkinfo).get(IflaInfo.KIND) : undefined;
  const info: InterfaceInfo = {
    index: hdr.index,
    name: name ? readString(name) : '',
    flags: hdr.flags,
    mtu: mtu ? readU32(mtu) : 0,
  };
  if (kind) info.kind = readString(kind);
  if (address && address.byteLength > 0) info.address = Array.from(address, (b) => b.toString(16).padStart(2, '0')).join(':');
  return info;
}

export function getLinkRequest(ref: InterfaceRef): Request {
  const link = resolveLink(ref);
  return {
    type: RtmType.GETLINK,
    header: encodeIfinfomsg({ family: AF_UNSPEC, index: link.index }),
    attrs: [extMask(), ...link.attrs],
    context: `look up interface ${link.label}`,
  };
}

export function dumpLinksRequest(): Request {
  return { type: RtmType.GETLINK, header: encodeIfinfomsg(), attrs: [extMask()], context: 'list interfaces' };
}

/** `RTM_NEWLINK` without NLM_F_CREATE changes an existing link: flags under `change`, or attributes. */
export function setFlagsRequest(ref: InterfaceRef, flags: number, change: number, what: string): Request {
  const link = resolveLink(ref);
  return {
    type: RtmType.NEWLINK,
    header: encodeIfinfomsg({ index: link.index, flags, change }),
    attrs: link.attrs,
    context: `${what} ${link.label}`,
  };
}

export function deleteLinkRequest(ref: InterfaceRef): Request {
  const link = resolveLink(ref);
  return {
    type: RtmType.DELLINK,
    header: encodeIfinfomsg({ index: link.index }),
    attrs: link.attrs,
    context: `delete interface ${link.label}`,
  };
}

export function setNetnsRequest(ref: InterfaceRef, netnsFd: number): Request {
  const link = resolveLink(ref);
  return {
    type: RtmType.NEWLINK,
    header: encodeIfinfomsg({ index: link.index }),
    attrs: [...link.attrs, attrU32(Ifla.NET_NS_FD, netnsFd)],
    context: `move interface ${link.label} to netns fd ${netnsFd}`,
  };
}

/**
 * The link with this name or index, in the calling thread's network namespace. An unknown link
 * throws SyscallError ENODEV (`err.code === 'ENODEV'`), the kernel's own answer.
 */
export function getLink(ref: InterfaceRef): InterfaceInfo {
  const req = getLinkRequest(ref);
  return withRtnl((rtnl) => requestLink(rtnl, req));
}

/** Sends an RTM_GETLINK request on an open socket and decodes its one reply. */
export function requestLink(rtnl: RtnlSocket, req: Request): InterfaceInfo {
  const reply = rtnl.request(req).find((m) => m.type === RtmType.NEWLINK);
  if (!reply) throw new BpfError(`${req.context}: the kernel acknowledged RTM_GETLINK without sending the link`);
  return decodeLink(reply);
}

/** The index of the interface `name`; SyscallError ENODEV if there is none. */
/**
 * Sends a RTM_NEWLINK request and returns the new device's index. Should the look-up fail, the
 * device just made is deleted again, so a failed create leaves nothing behind.
 */
export function createLink(rtnl: RtnlSocket, req: Request, name: string): number {
  rtnl.request(req);
  try {
    return requestLink(rtnl, getLinkRequest(name)).index;
  } catch (err) {
    try {
      rtnl.request(deleteLinkRequest(name));
    } catch {
      // Already gone (or never there): the look-up error is the one to report.
    }
    throw err;
  }
}

export function ifindex(name: string): number {
  return getLink(checkIfname(name, 'name')).index;
}

/** The name of the interface with index `index`; SyscallError ENODEV if there is none. */
export function ifname(index: number): string {
  return getLink(checkIfindex(index, 'index')).name;
}

/** Every link of the calling thread's network namespace, by RTM_GETLINK dump, in index order. */
export function links(): InterfaceInfo[] {
  const req = dumpLinksRequest();
  return withRtnl((rtnl) => rtnl.dump(req))
    .filter((m) => m.type === RtmType.NEWLINK)
    .map(decodeLink)
    .sort((a, b) => a.index - b.index);
}

/** Sets IFF_UP (`ip link set <link> up`). */
export function setUp(link: InterfaceRef): void {
  const req = setFlagsRequest(link, 1, 1, 'set up');
  withRtnl((rtnl) => rtnl.request(req));
}

/** Clears IFF_UP (`ip link set <link> down`). */
export function setDown(link: InterfaceRef): void {
  const req = setFlagsRequest(link, 0, 1, 'set down');
  withRtnl((rtnl) => rtnl.request(req));
}

/** Deletes a link; deleting one end of a veth or netkit pair deletes both. Unknown → ENODEV. */
export function deleteLink(link: InterfaceRef): void {
  const req = deleteLinkRequest(link);
  withRtnl((rtnl) => rtnl.request(req));
}

/**
 * Moves a link into another network namespace (`ip link set <link> netns <ns>`). The link gets
 * a new index there and disappears from this namespace.
 */
export function setNetns(link: InterfaceRef, netns: NetnsRef): void {
  resolveLink(link);
  withNetnsFd(netns, (fd) => {
    const req = setNetnsRequest(link, fd);
    withRtnl((rtnl) => rtnl.request(req));
  });
}
