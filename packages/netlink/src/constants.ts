/**
 * rtnetlink numbers from the kernel's UAPI headers (linux/netlink.h, linux/rtnetlink.h,
 * linux/if_link.h, linux/if_addr.h, linux/veth.h, linux/if.h). Identical on every architecture.
 */

export const NETLINK_ROUTE = 0;
export const SOL_NETLINK = 270;

/** Socket options at level SOL_NETLINK. */
export const NetlinkSockOpt = {
  CAP_ACK: 10,
  EXT_ACK: 11,
  GET_STRICT_CHK: 12,
} as const;

/** Control message types (linux/netlink.h). */
export const NlmsgType = {
  NOOP: 1,
  ERROR: 2,
  DONE: 3,
  OVERRUN: 4,
} as const;

/** `nlmsg_flags` bits. GET requests use ROOT/MATCH/DUMP, NEW requests REPLACE/EXCL/CREATE/APPEND. */
export const NlmFlags = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  DUMP_INTR: 0x10,
  DUMP_FILTERED: 0x20,
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  /** In an NLMSG_ERROR: the original request's payload was left out. */
  CAPPED: 0x100,
  /** In an NLMSG_ERROR: extended-ack TLVs follow. */
  ACK_TLVS: 0x200,
} as const;

/** Extended-ack TLVs after an NLMSG_ERROR (`enum nlmsgerr_attrs`). */
export const NlmsgerrAttr = {
  MSG: 1,
  OFFS: 2,
  COOKIE: 3,
  POLICY: 4,
  MISS_TYPE: 5,
  MISS_NEST: 6,
} as const;

/** rtnetlink message types used here. */
export const RtmType = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
} as const;

export const RTM_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(RtmType).map(([name, value]) => [value, `RTM_${name}`]),
);

/** `struct nlattr`: the nested and byte-order bits share the 16-bit type field. */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** Link attributes (`enum IFLA_*`, linux/if_link.h). */
export const Ifla = {
  ADDRESS: 1,
  BROADCAST: 2,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  MASTER: 10,
  OPERSTATE: 16,
  LINKINFO: 18,
  NET_NS_PID: 19,
  GROUP: 27,
  NET_NS_FD: 28,
  EXT_MASK: 29,
  LINK_NETNSID: 37,
  ALT_IFNAME: 53,
} as const;

/** Nested inside IFLA_LINKINFO. */
export const IflaInfo = {
  KIND: 1,
  DATA: 2,
  XSTATS: 3,
  SLAVE_KIND: 4,
  SLAVE_DATA: 5,
} as const;

/** Inside IFLA_INFO_DATA of a veth: an ifinfomsg followed by the peer's link attributes. */
export const VETH_INFO_PEER = 1;

/** Inside IFLA_INFO_DATA of a netkit device (linux/if_link.h, kernel 6.7+). */
export const IflaNetkit = {
  PEER_INFO: 1,
  PRIMARY: 2,
  POLICY: 3,
  PEER_POLICY: 4,
  MODE: 5,
} as const;

/** `IFLA_EXT_MASK` filter bits: leave the statistics out of link replies. */
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

/** Address attributes (`enum IFA_*`, linux/if_addr.h). */
export const Ifa = {
  ADDRESS: 1,
  LOCAL: 2,
  LABEL: 3,
  BROADCAST: 4,
  CACHEINFO: 6,
  FLAGS: 8,
} as const;

export const IFA_F_NODAD = 0x02;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** Interface names are at most IFNAMSIZ - 1 = 15 bytes. */
export const IFNAMSIZ = 16;

/** `struct nlmsghdr`, `struct ifinfomsg`, `struct ifaddrmsg`, `struct nlattr` sizes. */
export const NLMSG_HDRLEN = 16;
export const IFINFOMSG_LEN = 16;
export const IFADDRMSG_LEN = 8;
export const NLA_HDRLEN = 4;
