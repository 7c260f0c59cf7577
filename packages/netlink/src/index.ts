export { addAddress, addresses, parseCidr } from './address.js';
export type { AddressInfo, AddressOptions, Cidr } from './address.js';
export { deleteLink, getLink, ifindex, ifname, InterfaceFlags, links, setDown, setNetns, setUp } from './link.js';
export type { InterfaceInfo, LinkInfo } from './link.js';
export { literalLookup } from './lookup.js';
export type { InterfaceRef, LinkRef } from './names.js';
export { createNetkit, NetkitMode, NetkitPolicy } from './netkit.js';
export type { NetkitOptions } from './netkit.js';
export { createNetns, deleteNetns, Netns, netnsFd, withNetns } from './netns.js';
export type { NetnsRef } from './netns.js';
export { Topology } from './topology.js';
export type { TopologyEnd, TopologyOptions } from './topology.js';
export { createVeth } from './veth.js';
export type { VethOptions } from './veth.js';
export {
  BpfError,
  InvalidArgumentError,
  isNotExist,
  isNotSupported,
  NotSupportedError,
  SymbolNotFoundError,
  SyscallError,
} from '@bpfkit/errors';
