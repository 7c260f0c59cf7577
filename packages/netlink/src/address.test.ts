import { execFileSync } from 'node:child_process';
import { compareVersions, kernelVersion } from '@bpfkit/sys';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, requireRoot } from '@bpfkit/testing';
import { addAddress, addresses } from './address.js';
import { deleteLink, ifindex } from './link.js';
import { ownLeftovers, testIfname } from './testing/leftovers.js';
import { createVeth } from './veth.js';

interface IpAddr {
  ifindex: number;
  addr_info: { family: 'inet' | 'inet6'; local: string; prefixlen: number }[];
}

function ipAddrs(dev: string): string[] {
  const [link] = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show', 'dev', dev], { encoding: 'utf8' })) as IpAddr[];
  return link!.addr_info.map((a) => `${a.local}/${a.prefixlen}`).sort();
}

afterAll(() => {
  if (isRoot) expect(ownLeftovers()).toEqual({ links: [], netns: [] });
});

describe('addAddress / addresses', () => {
  it('adds IPv4 and IPv6 addresses that ip addr shows, and lists them', (ctx) => {
    requireRoot(ctx);
    const a = testIfname();
    createVeth(a, testIfname());
    try {
      addAddress(a, '10.254.1.1/24');
      addAddress(ifindex(a), '10.254.2.1');
      addAddress(a, 'FD00:B9F:0:1::1/64', { noDad: true });
      expect(ipAddrs(a)).toEqual(['10.254.1.1/24', '10.254.2.1/32', 'fd00:b9f:0:1::1/64']);
      const mine = addresses(a).map((x) => `${x.address}/${x.prefixLength}`).sort();
      expect(mine).toEqual(ipAddrs(a));
      expect(addresses(a).every((x) => x.index === ifindex(a))).toBe(true);
      expect(addresses().some((x) => x.address === '10.254.1.1' && x.family === 4)).toBe(true);
      expect(addresses('lo').map((x) => x.address)).toContain('127.0.0.1');
    } finally {
      deleteLink(a);
    }
  });

  // The kernel added these extack texts in the 6.x series (6.1 sends none, 6.12 does): EEXIST is
  // the answer everywhere, the text is required from 6.12 on and must be the kernel's when present.
  it.for([
    ['10.254.3.1/24', 'ipv4: Address already assigned', {}],
    ['fd00:b9f:0:3::1/64', 'ipv6: address already assigned', { noDad: true }],
  ] as const)('the same address twice (%s) throws EEXIST, with the kernel extended-ack text where it sends one', ([cidr, text, options], ctx) => {
    requireRoot(ctx);
    const a = testIfname();
    createVeth(a, testIfname());
    try {
      addAddress(a, cidr, options);
      let err: unknown;
      try {
        addAddress(a, cidr, options);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ name: 'SyscallError', code: 'EEXIST', errno: 17, syscall: 'netlink(RTM_NEWADDR)' });
      const { hint, message } = err as { hint?: string; message: string };
      if (hint !== undefined || compareVersions(kernelVersion(), '6.12') >= 0) expect(hint).toBe(text);
      expect(message).toBe(`add address ${cidr} to ifindex ${ifindex(a)}: netlink(RTM_NEWADDR): EEXIST (file exists)${hint === undefined ? '' : ` (${text})`}`);
      expect(ipAddrs(a)).toContain(cidr);
    } finally {
      deleteLink(a);
    }
  });

  it('an unknown link throws ENODEV; bad CIDRs throw InvalidArgumentError before any syscall', (ctx) => {
    requireRoot(ctx);
    const missing = testIfname();
    expect(() => addAddress(missing, '10.254.4.1/24')).toThrow(expect.objectContaining({ code: 'ENODEV', message: expect.stringContaining(missing) }));
    expect(() => addAddress(missing, '10.254.4.1/40')).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'cidr' }));
    expect(() => addAddress('a'.repeat(16), '10.0.0.1')).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => addresses('a'.repeat(16))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});
