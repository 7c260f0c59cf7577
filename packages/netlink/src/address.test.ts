import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, requireRoot } from '../../../testing/feature.js';
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

  it('the same address twice throws EEXIST with the kernel extended-ack text', (ctx) => {
    requireRoot(ctx);
    const a = testIfname();
    createVeth(a, testIfname());
    try {
      addAddress(a, '10.254.3.1/24');
      expect(() => addAddress(a, '10.254.3.1/24')).toThrow(
        expect.objectContaining({ name: 'SyscallError', code: 'EEXIST', syscall: 'netlink(RTM_NEWADDR)', hint: 'ipv4: Address already assigned' }),
      );
      expect(() => addAddress(a, '10.254.3.1/24')).toThrow(/: netlink\(RTM_NEWADDR\): EEXIST \(file exists\) \(ipv4: Address already assigned\)$/);
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
