import { describe, expect, it } from 'vitest';
import { NlmFlags, NlmsgType, RtmType } from './constants.js';
import { getLinkRequest, deleteLinkRequest, decodeLink, setFlagsRequest, setNetnsRequest } from './link.js';
import { newAddressRequest, parseCidr, formatAddress } from './address.js';
import {
  attrMap,
  attrNest,
  attrString,
  attrU32,
  decodeAttrs,
  decodeError,
  decodeExtack,
  decodeMessages,
  encodeAttrs,
  encodeMessage,
  readString,
} from './message.js';
import { newNetkitRequest, NetkitMode, NetkitPolicy } from './netkit.js';
import type { Request } from './socket.js';
import { newVethRequest } from './veth.js';

/** Bytes from an `strace -e write=N` hex dump (offset and ASCII columns stripped). */
function hex(dump: string): Uint8Array {
  const bytes = dump
    .split('\n')
    .map((line) => line.replace(/^\s*\|\s*[0-9a-f]{5}\s+/, '').slice(0, 49))
    .join(' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  return Uint8Array.from(bytes, (b) => parseInt(b, 16));
}

/** The request as the socket sends it (NLM_F_REQUEST | NLM_F_ACK | extra flags). */
function wire(req: Request, seq: number): Uint8Array {
  return encodeMessage({ type: req.type, flags: NlmFlags.REQUEST | NlmFlags.ACK | (req.flags ?? 0), seq, pid: 0 }, req.header, req.attrs);
}

// Captured from iproute2 6.1 on this machine with `strace -e trace=sendmsg -e write=3 ip ...`.
describe('requests are byte-identical to iproute2', () => {
  it('ip link add bkzzta type veth peer name bkzztb', () => {
    const expected = hex(`
 | 00000  5c 00 00 00 10 00 05 06  a4 70 07 6b 00 00 00 00  \\........p.k.... |
 | 00010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00020  0b 00 03 00 62 6b 7a 7a  74 61 00 00 30 00 12 00  ....bkzzta..0... |
 | 00030  08 00 01 00 76 65 74 68  24 00 02 00 20 00 01 00  ....veth$... ... |
 | 00040  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00050  0b 00 03 00 62 6b 7a 7a  74 62 00 00              ....bkzztb..     |`);
    expect(wire(newVethRequest('bkzzta', 'bkzztb'), 0x6b0770a4)).toEqual(expected);
  });

  it('ip link add bkzzta type veth peer name bkzztb netns <fd 4>', () => {
    const expected = hex(`
 | 00000  64 00 00 00 10 00 05 06  a7 70 07 6b 00 00 00 00  d........p.k.... |
 | 00010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00020  0b 00 03 00 62 6b 7a 7a  74 61 00 00 38 00 12 00  ....bkzzta..8... |
 | 00030  08 00 01 00 76 65 74 68  2c 00 02 00 28 00 01 00  ....veth,...(... |
 | 00040  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00050  08 00 1c 00 04 00 00 00  0b 00 03 00 62 6b 7a 7a  ............bkzz |
 | 00060  74 62 00 00                                       tb..             |`);
    expect(wire(newVethRequest('bkzzta', 'bkzztb', 4), 0x6b0770a7)).toEqual(expected);
  });

  it('ip link set <ifindex 10> up', () => {
    const expected = hex(`
 | 00000  20 00 00 00 10 00 05 00  a7 70 07 6b 00 00 00 00   ........p.k.... |
 | 00010  00 00 00 00 0a 00 00 00  01 00 00 00 01 00 00 00  ................ |`);
    expect(wire(setFlagsRequest(10, 1, 1, 'set up'), 0x6b0770a7)).toEqual(expected);
  });

  it('ip link del <ifindex 10>', () => {
    const expected = hex(`
 | 00000  20 00 00 00 11 00 05 00  a7 70 07 6b 00 00 00 00   ........p.k.... |
 | 00010  00 00 00 00 0a 00 00 00  00 00 00 00 00 00 00 00  ................ |`);
    expect(wire(deleteLinkRequest(10), 0x6b0770a7)).toEqual(expected);
  });

  it('ip link set <ifindex 11> netns <fd 4>', () => {
    const expected = hex(`
 | 00000  28 00 00 00 10 00 05 00  a7 70 07 6b 00 00 00 00  (........p.k.... |
 | 00010  00 00 00 00 0b 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00020  08 00 1c 00 04 00 00 00                           ........         |`);
    expect(wire(setNetnsRequest(11, 4), 0x6b0770a7)).toEqual(expected);
  });

  it('ip -6 addr add fd00:b9f::1/64 dev <ifindex 10> nodad', () => {
    const expected = hex(`
 | 00000  40 00 00 00 14 00 05 06  a7 70 07 6b 00 00 00 00  @........p.k.... |
 | 00010  0a 40 02 00 0a 00 00 00  14 00 02 00 fd 00 0b 9f  .@.............. |
 | 00020  00 00 00 00 00 00 00 00  00 00 00 01 14 00 01 00  ................ |
 | 00030  fd 00 0b 9f 00 00 00 00  00 00 00 00 00 00 00 01  ................ |`);
    expect(wire(newAddressRequest(10, parseCidr('fd00:b9f::1/64'), { noDad: true }), 0x6b0770a7)).toEqual(expected);
  });

  it('ip addr add 10.250.0.1/24 dev lo (strace decoding: IFA_LOCAL then IFA_ADDRESS)', () => {
    const expected = Uint8Array.from([
      40, 0, 0, 0, 20, 0, 0x05, 0x06, 0x9c, 0x70, 0x07, 0x6b, 0, 0, 0, 0, // nlmsghdr RTM_NEWADDR
      2, 24, 0, 0, 1, 0, 0, 0, // ifaddrmsg AF_INET /24 index 1
      8, 0, 2, 0, 10, 250, 0, 1, // IFA_LOCAL
      8, 0, 1, 0, 10, 250, 0, 1, // IFA_ADDRESS
    ]);
    expect(wire(newAddressRequest(1, parseCidr('10.250.0.1/24')), 0x6b07709c)).toEqual(expected);
  });
});

describe('other requests (layouts from linux/rtnetlink.h and if_link.h)', () => {
  it('RTM_GETLINK by name: ifinfomsg, IFLA_EXT_MASK skip-stats, IFLA_IFNAME', () => {
    const req = getLinkRequest('eth0');
    expect(wire(req, 7)).toEqual(
      Uint8Array.from([
        52, 0, 0, 0, 18, 0, 5, 0, 7, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        8, 0, 29, 0, 8, 0, 0, 0,
        9, 0, 3, 0, 0x65, 0x74, 0x68, 0x30, 0, 0, 0, 0,
      ]),
    );
    expect(getLinkRequest(3).header).toEqual(Uint8Array.from([0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('netkit: IFLA_INFO_DATA holds PEER_INFO (ifinfomsg + name), POLICY, PEER_POLICY, MODE as u32', () => {
    const req = newNetkitRequest('nk0', 'nk1', { mode: NetkitMode.L2, policy: NetkitPolicy.Pass, peerPolicy: NetkitPolicy.Drop });
    const msg = wire(req, 1);
    expect(msg.slice(4, 8)).toEqual(Uint8Array.from([16, 0, 0x05, 0x06]));
    const top = attrMap(msg.subarray(32));
    expect(readString(top.get(3)!)).toBe('nk0');
    const linkinfo = attrMap(top.get(18)!);
    expect(Buffer.from(linkinfo.get(1)!).toString()).toBe('netkit');
    const data = decodeAttrs(linkinfo.get(2)!);
    expect(data.map((a) => a.type)).toEqual([1, 3, 4, 5]);
    const peer = data[0]!.value;
    expect(peer.subarray(0, 16)).toEqual(new Uint8Array(16));
    expect(readString(attrMap(peer.subarray(16)).get(3)!)).toBe('nk1');
    expect(data.slice(1).map((a) => Array.from(a.value))).toEqual([
      [0, 0, 0, 0],
      [2, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('netkit leaves unset options to the kernel', () => {
    const data = decodeAttrs(attrMap(attrMap(wire(newNetkitRequest('a', 'b', {}), 1).subarray(32)).get(18)!).get(2)!);
    expect(data.map((a) => a.type)).toEqual([1]);
  });
});

describe('attribute encoding', () => {
  it('pads values to 4 bytes and nests with an optional flag', () => {
    expect(encodeAttrs([attrString(3, 'ab')])).toEqual(Uint8Array.from([7, 0, 3, 0, 0x61, 0x62, 0, 0]));
    const nested = encodeAttrs([{ ...attrNest(18, [attrU32(1, 0x01020304)]), nestedFlag: true }]);
    expect(nested).toEqual(Uint8Array.from([12, 0, 18, 0x80, 8, 0, 1, 0, 4, 3, 2, 1]));
    const [outer] = decodeAttrs(nested);
    expect(outer).toMatchObject({ type: 18, nested: true });
  });

  it('rejects attributes over 65535 bytes', () => {
    expect(() => encodeAttrs([{ type: 1, value: new Uint8Array(70000) }])).toThrow(/over the 65535-byte limit/);
  });
});

describe('decoding', () => {
  it('splits a datagram into messages and rejects lengths past its end', () => {
    const a = encodeMessage({ type: RtmType.NEWLINK, flags: NlmFlags.MULTI, seq: 5, pid: 9 }, new Uint8Array(16), [attrString(3, 'x')]);
    const done = encodeMessage({ type: NlmsgType.DONE, flags: NlmFlags.MULTI, seq: 5, pid: 9 }, new Uint8Array(4));
    const datagram = new Uint8Array(a.length + done.length);
    datagram.set(a);
    datagram.set(done, a.length);
    const msgs = decodeMessages(datagram);
    expect(msgs.map((m) => [m.type, m.seq, m.pid, m.payload.byteLength])).toEqual([
      [16, 5, 9, 24],
      [3, 5, 9, 4],
    ]);
    const bad = datagram.slice(0, 30);
    expect(() => decodeMessages(bad)).toThrow(/malformed netlink message at offset 0: nlmsg_len 40 in a 30-byte datagram/);
    expect(() => decodeAttrs(Uint8Array.from([9, 0, 1, 0, 0]))).toThrow(/malformed netlink attribute/);
  });

  it('reads NLMSG_ERROR with extended ack: errno, echoed header, message, offset, missing type', () => {
    const tlvs = encodeAttrs([attrString(1, 'Device already exists'), attrU32(2, 36), attrU32(5, 3)]);
    const payload = new Uint8Array(20 + tlvs.length);
    const view = new DataView(payload.buffer);
    view.setInt32(0, -17, true);
    view.setUint32(4, 92, true);
    view.setUint16(8, RtmType.NEWLINK, true);
    view.setUint16(10, 0x605, true);
    view.setUint32(12, 77, true);
    payload.set(tlvs, 20);
    const err = decodeError({ flags: NlmFlags.CAPPED | NlmFlags.ACK_TLVS, payload });
    expect(err).toEqual({
      errno: 17,
      request: { length: 92, type: 16, flags: 0x605, seq: 77, pid: 0 },
      extack: { message: 'Device already exists', offset: 36, missingType: 3 },
    });
  });

  it('skips an echoed request payload when the error is not capped', () => {
    const echoed = encodeMessage({ type: 16, flags: 5, seq: 1, pid: 0 }, new Uint8Array(16), [attrString(3, 'abcde')]);
    const tlvs = encodeAttrs([attrString(1, 'oops')]);
    const payload = new Uint8Array(4 + echoed.length + tlvs.length);
    new DataView(payload.buffer).setInt32(0, -22, true);
    payload.set(echoed, 4);
    payload.set(tlvs, 4 + echoed.length);
    expect(decodeError({ flags: NlmFlags.ACK_TLVS, payload }).extack).toEqual({ message: 'oops' });
    expect(decodeError({ flags: 0, payload }).extack).toEqual({});
    expect(decodeExtack(tlvs)).toEqual({ message: 'oops' });
  });

  it('decodes a link: index, flags, name, mtu, kind, address', () => {
    const msg = encodeMessage({ type: 16, flags: 0, seq: 1, pid: 0 }, Uint8Array.from([0, 0, 1, 0, 7, 0, 0, 0, 0x43, 0x10, 0, 0, 0, 0, 0, 0]), [
      attrString(3, 'veth0'),
      attrU32(4, 1500),
      { type: 1, value: Uint8Array.from([0x02, 0xfc, 0, 0, 0, 0xab]) },
      attrNest(18, [{ type: 1, value: Buffer.from('veth') }]),
    ]);
    const [m] = decodeMessages(msg);
    expect(decodeLink(m!)).toEqual({ index: 7, name: 'veth0', kind: 'veth', flags: 0x1043, mtu: 1500, address: '02:fc:00:00:00:ab' });
  });
});

describe('CIDR parsing', () => {
  it('parses IPv4 and IPv6 with and without prefix', () => {
    expect(parseCidr('10.1.2.3/24')).toEqual({ family: 4, bytes: Uint8Array.from([10, 1, 2, 3]), prefixLength: 24, address: '10.1.2.3' });
    expect(parseCidr('10.1.2.3').prefixLength).toBe(32);
    expect(parseCidr('fd00:b9f::1').prefixLength).toBe(128);
    expect(parseCidr('FD00:0B9F:0:0:0:0:0:1/64').address).toBe('fd00:b9f::1');
    expect(Array.from(parseCidr('::ffff:10.0.0.1').bytes)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]);
    expect(parseCidr('::/0').address).toBe('::');
  });

  it('formats per RFC 5952: the longest zero run becomes ::, single zero groups stay', () => {
    expect(formatAddress(parseCidr('1:0:0:2:0:0:0:3').bytes)).toBe('1:0:0:2::3');
    expect(formatAddress(parseCidr('1:0:2:3:4:5:6:7').bytes)).toBe('1:0:2:3:4:5:6:7');
  });

  it.each(['10.0.0.1/33', '10.0.0.1/', '10.0.0.1/x', '10.0.0/24', 'fd00::1/129', 'fe80::1%eth0/64', 'eth0', '', '10.0.0.1/-1'])(
    'rejects %j',
    (cidr) => {
      expect(() => parseCidr(cidr)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'cidr' }));
    },
  );
});
