/**
 * Netlink wire format: `struct nlmsghdr`, `struct nlattr` trees, the rtnetlink family headers
 * (`ifinfomsg`, `ifaddrmsg`) and NLMSG_ERROR with extended-ack TLVs. Pure functions over bytes,
 * host byte order (little-endian on every platform bpfkit runs on).
 */
import { InvalidArgumentError } from '@bpfkit/errors';
import {
  IFADDRMSG_LEN,
  IFINFOMSG_LEN,
  NLA_F_NESTED,
  NLA_HDRLEN,
  NLA_TYPE_MASK,
  NLMSG_HDRLEN,
  NlmFlags,
  NlmsgerrAttr,
} from './constants.js';

const LE = true;

/** Netlink aligns messages and attributes to 4 bytes. */
function align4(n: number): number {
  return (n + 3) & ~3;
}

/** One attribute: raw bytes, or children (a nested attribute) after an optional fixed header. */
export interface Attr {
  type: number;
  value?: Uint8Array;
  children?: readonly Attr[];
  /** Set NLA_F_NESTED on the type; rtnetlink accepts nests with or without it. */
  nestedFlag?: boolean;
}

export function attrU32(type: number, v: number): Attr {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, v >>> 0, LE);
  return { type, value };
}

/** A NUL-terminated string attribute, as the kernel's NLA_STRING/NLA_NUL_STRING policies expect. */
export function attrString(type: number, s: string): Attr {
  const bytes = Buffer.from(s, 'utf8');
  const value = new Uint8Array(bytes.length + 1);
  value.set(bytes);
  return { type, value };
}

export function attrBytes(type: number, value: Uint8Array): Attr {
  return { type, value };
}

/** A nested attribute; `header` is a fixed struct before the children (VETH_INFO_PEER's ifinfomsg). */
export function attrNest(type: number, children: readonly Attr[], header?: Uint8Array): Attr {
  return header ? { type, value: header, children } : { type, children };
}

function attrPayloadLength(a: Attr): number {
  const head = a.value?.byteLength ?? 0;
  if (!a.children) return head;
  return align4(head) + attrsLength(a.children);
}

function attrsLength(attrs: readonly Attr[]): number {
  let n = 0;
  for (const a of attrs) n += align4(NLA_HDRLEN + attrPayloadLength(a));
  return n;
}

function writeAttrs(view: DataView, bytes: Uint8Array, offset: number, attrs: readonly Attr[]): number {
  for (const a of attrs) {
    const payload = attrPayloadLength(a);
    const len = NLA_HDRLEN + payload;
    if (len > 0xffff) throw new InvalidArgumentError('attribute', `netlink attribute ${a.type} is ${len} bytes, over the 65535-byte limit`);
    view.setUint16(offset, len, LE);
    view.setUint16(offset + 2, (a.type & NLA_TYPE_MASK) | (a.nestedFlag ? NLA_F_NESTED : 0), LE);
    let p = offset + NLA_HDRLEN;
    if (a.value) {
      bytes.set(a.value, p);
      p += align4(a.value.byteLength);
    }
    if (a.children) p = writeAttrs(view, bytes, p, a.children);
    offset += align4(len);
  }
  return offset;
}

/** Encodes attributes back to back, each padded to 4 bytes (padding is zero). */
export function encodeAttrs(attrs: readonly Attr[]): Uint8Array {
  const bytes = new Uint8Array(attrsLength(attrs));
  writeAttrs(new DataView(bytes.buffer), bytes, 0, attrs);
  return bytes;
}

export interface NlmsgHeader {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/** A full message: nlmsghdr, the family header (padded to 4), then the attributes. */
export function encodeMessage(header: NlmsgHeader, familyHeader: Uint8Array, attrs: readonly Attr[] = []): Uint8Array {
  const fixed = NLMSG_HDRLEN + align4(familyHeader.byteLength);
  const total = fixed + attrsLength(attrs);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, total, LE);
  view.setUint16(4, header.type, LE);
  view.setUint16(6, header.flags, LE);
  view.setUint32(8, header.seq >>> 0, LE);
  view.setUint32(12, header.pid >>> 0, LE);
  bytes.set(familyHeader, NLMSG_HDRLEN);
  writeAttrs(view, bytes, fixed, attrs);
  return bytes;
}

export interface Ifinfomsg {
  family: number;
  /** ARPHRD_* device type. */
  type: number;
  index: number;
  flags: number;
  change: number;
}

export function encodeIfinfomsg(m: Partial<Ifinfomsg> = {}): Uint8Array {
  const bytes = new Uint8Array(IFINFOMSG_LEN);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, m.family ?? 0);
  view.setUint16(2, m.type ?? 0, LE);
  view.setInt32(4, m.index ?? 0, LE);
  view.setUint32(8, (m.flags ?? 0) >>> 0, LE);
  view.setUint32(12, (m.change ?? 0) >>> 0, LE);
  return bytes;
}

export function decodeIfinfomsg(payload: Uint8Array): Ifinfomsg {
  need(payload, IFINFOMSG_LEN, 'ifinfomsg');
  const view = viewOf(payload);
  return {
    family: view.getUint8(0),
    type: view.getUint16(2, LE),
    index: view.getInt32(4, LE),
    flags: view.getUint32(8, LE),
    change: view.getUint32(12, LE),
  };
}

export interface Ifaddrmsg {
  family: number;
  prefixLength: number;
  flags: number;
  scope: number;
  index: number;
}

export function encodeIfaddrmsg(m: Partial<Ifaddrmsg> = {}): Uint8Array {
  const bytes = new Uint8Array(IFADDRMSG_LEN);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, m.family ?? 0);
  view.setUint8(1, m.prefixLength ?? 0);
  view.setUint8(2, m.flags ?? 0);
  view.setUint8(3, m.scope ?? 0);
  view.setUint32(4, (m.index ?? 0) >>> 0, LE);
  return bytes;
}

export function decodeIfaddrmsg(payload: Uint8Array): Ifaddrmsg {
  need(payload, IFADDRMSG_LEN, 'ifaddrmsg');
  const view = viewOf(payload);
  return {
    family: view.getUint8(0),
    prefixLength: view.getUint8(1),
    flags: view.getUint8(2),
    scope: view.getUint8(3),
    index: view.getUint32(4, LE),
  };
}

export interface NetlinkMessage extends NlmsgHeader {
  /** Everything after the nlmsghdr, up to nlmsg_len (a view into the receive buffer). */
  payload: Uint8Array;
}

/** Splits one received datagram into its messages; rejects lengths that overrun the datagram. */
export function decodeMessages(buf: Uint8Array): NetlinkMessage[] {
  const view = viewOf(buf);
  const out: NetlinkMessage[] = [];
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= buf.byteLength) {
    const len = view.getUint32(offset, LE);
    if (len < NLMSG_HDRLEN || offset + len > buf.byteLength) {
      throw new InvalidArgumentError('message', `malformed netlink message at offset ${offset}: nlmsg_len ${len} in a ${buf.byteLength}-byte datagram`);
    }
    out.push({
      type: view.getUint16(offset + 4, LE),
      flags: view.getUint16(offset + 6, LE),
      seq: view.getUint32(offset + 8, LE),
      pid: view.getUint32(offset + 12, LE),
      payload: buf.subarray(offset + NLMSG_HDRLEN, offset + len),
    });
    offset += align4(len);
  }
  return out;
}

export interface DecodedAttr {
  /** The type without NLA_F_NESTED / NLA_F_NET_BYTEORDER. */
  type: number;
  nested: boolean;
  value: Uint8Array;
}

/** Decodes a run of attributes; a truncated attribute is an error, trailing padding is not. */
export function decodeAttrs(buf: Uint8Array): DecodedAttr[] {
  const view = viewOf(buf);
  const out: DecodedAttr[] = [];
  let offset = 0;
  while (offset + NLA_HDRLEN <= buf.byteLength) {
    const len = view.getUint16(offset, LE);
    const rawType = view.getUint16(offset + 2, LE);
    if (len < NLA_HDRLEN || offset + len > buf.byteLength) {
      throw new InvalidArgumentError('attribute', `malformed netlink attribute at offset ${offset}: nla_len ${len} in ${buf.byteLength} bytes`);
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      value: buf.subarray(offset + NLA_HDRLEN, offset + len),
    });
    offset += align4(len);
  }
  return out;
}

/** The attributes by type; the last one wins, as in the kernel's nla_parse. */
export function attrMap(buf: Uint8Array): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const a of decodeAttrs(buf)) m.set(a.type, a.value);
  return m;
}

export function readU32(value: Uint8Array): number {
  need(value, 4, 'u32 attribute');
  return viewOf(value).getUint32(0, LE);
}

/** A string attribute up to its first NUL (the kernel NUL-terminates, but does not have to). */
export function readString(value: Uint8Array): string {
  const nul = value.indexOf(0);
  return Buffer.from(value.buffer, value.byteOffset, nul < 0 ? value.byteLength : nul).toString('utf8');
}

export interface ExtendedAck {
  /** NLMSGERR_ATTR_MSG: the kernel's human-readable explanation. */
  message?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute in the request. */
  offset?: number;
  /** NLMSGERR_ATTR_MISS_TYPE: the attribute type the kernel wanted but did not get. */
  missingType?: number;
}

export interface NetlinkErrorMessage {
  /** A positive errno, or 0 for a plain acknowledgement. */
  errno: number;
  /** The header of the request this answers. */
  request: NlmsgHeader & { length: number };
  extack: ExtendedAck;
}

/**
 * Decodes an NLMSG_ERROR payload: `int error`, the request's nlmsghdr, the request's payload
 * unless NLM_F_CAPPED, then extended-ack TLVs when NLM_F_ACK_TLVS is set.
 */
export function decodeError(msg: Pick<NetlinkMessage, 'flags' | 'payload'>): NetlinkErrorMessage {
  const { payload } = msg;
  need(payload, 4 + NLMSG_HDRLEN, 'nlmsgerr');
  const view = viewOf(payload);
  const error = view.getInt32(0, LE);
  const requestLength = view.getUint32(4, LE);
  const request = {
    length: requestLength,
    type: view.getUint16(8, LE),
    flags: view.getUint16(10, LE),
    seq: view.getUint32(12, LE),
    pid: view.getUint32(16, LE),
  };
  let extack: ExtendedAck = {};
  if (msg.flags & NlmFlags.ACK_TLVS) {
    const echoed = msg.flags & NlmFlags.CAPPED ? 0 : Math.max(0, requestLength - NLMSG_HDRLEN);
    const tlvStart = 4 + NLMSG_HDRLEN + align4(echoed);
    if (tlvStart <= payload.byteLength) extack = decodeExtack(payload.subarray(tlvStart));
  }
  return { errno: -error, request, extack };
}

/** The extended-ack TLVs of an NLMSG_ERROR, or of an NLMSG_DONE after its int (a failed dump). */
export function decodeExtack(tlvs: Uint8Array): ExtendedAck {
  const extack: ExtendedAck = {};
  for (const a of decodeAttrs(tlvs)) {
    if (a.type === NlmsgerrAttr.MSG) extack.message = readString(a.value);
    else if (a.type === NlmsgerrAttr.OFFS && a.value.byteLength >= 4) extack.offset = readU32(a.value);
    else if (a.type === NlmsgerrAttr.MISS_TYPE && a.value.byteLength >= 4) extack.missingType = readU32(a.value);
  }
  return extack;
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function need(b: Uint8Array, n: number, what: string): void {
  if (b.byteLength < n) throw new InvalidArgumentError(what, `malformed netlink ${what}: ${b.byteLength} bytes, need ${n}`);
}
