/** veth pairs: two devices joined back to back, one end optionally created in another netns. */
import { AF_UNSPEC, Ifla, IflaInfo, NlmFlags, RtmType, VETH_INFO_PEER } from './constants.js';
import { type Attr, attrBytes, attrNest, attrString, attrU32, encodeIfinfomsg } from './message.js';
import { checkIfname } from './names.js';
import { type NetnsRef, withNetnsFd } from './netns.js';
import { createLink } from './link.js';
import { type Request, withRtnl } from './socket.js';

export interface VethOptions {
  /** Create the peer end directly in this network namespace. */
  peerNetns?: NetnsRef;
}

/** IFLA_INFO_KIND carries the bare name, without a NUL, as iproute2 sends it. */
export function attrKind(kind: string): Attr {
  return attrBytes(IflaInfo.KIND, Buffer.from(kind, 'utf8'));
}

/** The peer's ifinfomsg and attributes, the payload of VETH_INFO_PEER and IFLA_NETKIT_PEER_INFO. */
export function peerAttrs(peerName: string, peerNetnsFd: number | undefined): Attr[] {
  const attrs: Attr[] = [];
  if (peerNetnsFd !== undefined) attrs.push(attrU32(Ifla.NET_NS_FD, peerNetnsFd));
  attrs.push(attrString(Ifla.IFNAME, peerName));
  return attrs;
}

export function newVethRequest(name: string, peerName: string, peerNetnsFd?: number): Request {
  return {
    type: RtmType.NEWLINK,
    flags: NlmFlags.CREATE | NlmFlags.EXCL,
    header: encodeIfinfomsg({ family: AF_UNSPEC }),
    attrs: [
      attrString(Ifla.IFNAME, name),
      attrNest(Ifla.LINKINFO, [
        attrKind('veth'),
        attrNest(IflaInfo.DATA, [attrNest(VETH_INFO_PEER, peerAttrs(peerName, peerNetnsFd), encodeIfinfomsg())]),
      ]),
    ],
    context: `create veth pair ${name}/${peerName}`,
  };
}

/**
 * Creates a veth pair `name` <-> `peerName` (`ip link add <name> type veth peer name <peerName>
 * [netns <ns>]`), both down, and returns the index of `name`. Either name taken → SyscallError EEXIST.
 */
export function createVeth(name: string, peerName: string, options: VethOptions = {}): number {
  checkIfname(name, 'name');
  checkIfname(peerName, 'peerName');
  const create = (fd?: number) => {
    const req = newVethRequest(name, peerName, fd);
    return withRtnl((rtnl) => createLink(rtnl, req, name));
  };
  return options.peerNetns === undefined ? create() : withNetnsFd(options.peerNetns, create);
}
