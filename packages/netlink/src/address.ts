/** IPv4 and IPv6 interface addresses: parse CIDR text, add (`ip addr add`), list (`ip addr show`). */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError } from '@bpfkit/errors';
import { AF_INET, AF_INET6, AF_UNSPEC, Ifa, IFA_F_NODAD, IFADDRMSG_LEN, NlmFlags, RtmType } from './constants.js';
import { attrBytes, attrMap, decodeIfaddrmsg, encodeIfaddrmsg, type NetlinkMessage } from './message.js';
import { getLinkRequest, requestLink } from './link.js';
import { type InterfaceRef, resolveLink } from './names.js';
import { type Request, withRtnl } from './socket.js';

export interface Cidr {
  family: 4 | 6;
  /** Network byte order: 4 or 16 bytes. */
  bytes: Uint8Array;
  prefixLength: number;
  /** The address in canonical text form (IPv6 compressed per RFC 5952). */
  address: string;
}

function parseIPv4(text: string): Uint8Array {
  return Uint8Array.from(text.split('.'), Number);
}

function parseIPv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let tail = text;
  let v4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    v4 = parseIPv4(text.slice(lastColon + 1));
    tail = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = tail.split('::') as [string, string | undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

/** Text form of 4 or 16 address bytes; IPv6 with the longest run of zero groups (2+) as `::`. */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.byteLength === 4) return Array.from(bytes).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Parses `10.0.0.1/24` or `fd00::1/64`; without a prefix the address is a host route (/32, /128). */
export function parseCidr(cidr: unknown, argument = 'cidr'): Cidr {
  if (typeof cidr !== 'string') throw new InvalidArgumentError(argument, `must be a string like "10.0.0.1/24", got ${typeof cidr}`);
  const slash = cidr.indexOf('/');
  const text = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = isIPv4(text) ? 4 : isIPv6(text) && !text.includes('%') ? 6 : 0;
  if (family === 0) throw new InvalidArgumentError(argument, `${JSON.stringify(cidr)} is not an IPv4 or IPv6 address`);
  const max = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : cidr.slice(slash + 1);
  const prefixLength = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= max)) {
    throw new InvalidArgumentError(argument, `prefix length in ${JSON.stringify(cidr)} must be an integer from 0 to ${max}`);
  }
  const bytes = family === 4 ? parseIPv4(text) : parseIPv6(text);
  return { family, bytes, prefixLength, address: formatAddress(bytes) };
}

export interface AddressOptions {
  /** IPv6: skip duplicate address detection, so the address is usable at once (`nodad`). */
  noDad?: boolean;
}

export function newAddressRequest(index: number, cidr: Cidr, options: AddressOptions = {}): Request {
  return {
    type: RtmType.NEWADDR,
    flags: NlmFlags.CREATE | NlmFlags.EXCL,
    header: encodeIfaddrmsg({
      family: cidr.family === 4 ? AF_INET : AF_INET6,
      prefixLength: cidr.prefixLength,
      flags: options.noDad ? IFA_F_NODAD : 0,
      index,
    }),
    // IFA_LOCAL is the address itself, IFA_ADDRESS the peer (the same off point-to-point links).
    attrs: [attrBytes(Ifa.LOCAL, cidr.bytes), attrBytes(Ifa.ADDRESS, cidr.bytes)],
    context: `add address ${cidr.address}/${cidr.prefixLength} to ifindex ${index}`,
  };
}

/**
 * Adds an IPv4 or IPv6 address (`ip addr add <cidr> dev <link>`). The same address twice →
 * SyscallError EEXIST; an unknown link → ENODEV.
 */
export function addAddress(link: InterfaceRef, cidr: string, options: AddressOptions = {}): void {
  const parsed = parseCidr(cidr);
  const getReq = getLinkRequest(link);
  withRtnl((rtnl) => {
    const index = requestLink(rtnl, getReq).index;
    rtnl.request(newAddressRequest(index, parsed, options));
  });
}

export interface AddressInfo {
  index: number;
  family: 4 | 6;
  address: string;
  prefixLength: number;
}

function decodeAddress(msg: NetlinkMessage): AddressInfo | undefined {
  const hdr = decodeIfaddrmsg(msg.payload);
  if (hdr.family !== AF_INET && hdr.family !== AF_INET6) return undefined;
  const attrs = attrMap(msg.payload.subarray(IFADDRMSG_LEN));
  const bytes = attrs.get(Ifa.LOCAL) ?? attrs.get(Ifa.ADDRESS);
  if (!bytes) return undefined;
  return { index: hdr.index, family: hdr.family === AF_INET ? 4 : 6, address: formatAddress(bytes), prefixLength: hdr.prefixLength };
}

/** Every IPv4 and IPv6 address of the calling thread's namespace, or of one link. */
export function addresses(link?: InterfaceRef): AddressInfo[] {
  if (link !== undefined) resolveLink(link);
  const dumpReq: Request = { type: RtmType.GETADDR, header: encodeIfaddrmsg({ family: AF_UNSPEC }), context: 'list addresses' };
  return withRtnl((rtnl) => {
    const index = link === undefined ? 0 : requestLink(rtnl, getLinkRequest(link)).index;
    return rtnl
      .dump(dumpReq)
      .filter((m) => m.type === RtmType.NEWADDR)
      .map(decodeAddress)
      .filter((a): a is AddressInfo => a !== undefined && (index === 0 || a.index === index));
  });
}
