import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, openFds, requireRoot } from '@bpfkit/testing';
import { createNetkit, NetkitMode, NetkitPolicy } from './netkit.js';
import { createNetns, deleteNetns, netnsFd, withNetns } from './netns.js';
import { deleteLink, getLink, ifindex, ifname, InterfaceFlags, links, setDown, setNetns, setUp } from './link.js';
import { ownLeftovers, testIfname } from './testing/leftovers.js';
import { createVeth } from './veth.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  linkinfo?: { info_kind?: string };
}

function ipLinks(): IpLink[] {
  return JSON.parse(execFileSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8' })) as IpLink[];
}

/** The IFF_* bits `ip` prints by name (it never prints RUNNING, only NO-CARRIER). */
const IP_FLAG_NAMES: Record<string, number> = {
  UP: InterfaceFlags.Up,
  BROADCAST: InterfaceFlags.Broadcast,
  DEBUG: InterfaceFlags.Debug,
  LOOPBACK: InterfaceFlags.Loopback,
  POINTOPOINT: InterfaceFlags.PointToPoint,
  NOTRAILERS: InterfaceFlags.NoTrailers,
  NOARP: InterfaceFlags.NoArp,
  PROMISC: InterfaceFlags.Promisc,
  ALLMULTI: InterfaceFlags.AllMulti,
  MASTER: InterfaceFlags.Master,
  SLAVE: InterfaceFlags.Slave,
  MULTICAST: InterfaceFlags.Multicast,
  PORTSEL: InterfaceFlags.PortSel,
  AUTOMEDIA: InterfaceFlags.AutoMedia,
  DYNAMIC: InterfaceFlags.Dynamic,
  LOWER_UP: InterfaceFlags.LowerUp,
  DORMANT: InterfaceFlags.Dormant,
  ECHO: InterfaceFlags.Echo,
};

function flagsFromIp(names: string[]): number {
  return names.reduce((acc, n) => acc | (IP_FLAG_NAMES[n] ?? 0), 0);
}

/** Links that were the same in `ip` before and after: other test suites add and remove devices meanwhile. */
function stableIpLinks(before: IpLink[], after: IpLink[]): IpLink[] {
  const later = new Map(after.map((l) => [l.ifindex, l]));
  return before.filter((l) => {
    const b = later.get(l.ifindex);
    return b !== undefined && b.ifname === l.ifname && flagsFromIp(b.flags) === flagsFromIp(l.flags) && b.mtu === l.mtu;
  });
}

function withVeth<T>(fn: (a: string, b: string) => T): T {
  const a = testIfname();
  const b = testIfname();
  createVeth(a, b);
  try {
    return fn(a, b);
  } finally {
    deleteLink(a);
  }
}

afterAll(() => {
  if (isRoot) expect(ownLeftovers()).toEqual({ links: [], netns: [] });
});

describe('look-ups agree with ip -j link', () => {
  it('links() lists what ip lists: index, name, kind, flags, mtu, address', (ctx) => {
    requireRoot(ctx);
    withVeth((a) => {
      const before = ipLinks();
      const ours = links();
      const stable = stableIpLinks(before, ipLinks());
      expect(stable.map((l) => l.ifname)).toContain(a);
      const byIndex = new Map(ours.map((l) => [l.index, l]));
      for (const ip of stable) {
        const mine = byIndex.get(ip.ifindex);
        expect(mine, ip.ifname).toBeDefined();
        expect(mine!.name).toBe(ip.ifname);
        expect(mine!.kind).toBe(ip.linkinfo?.info_kind);
        expect(mine!.mtu).toBe(ip.mtu);
        expect(mine!.flags & ~InterfaceFlags.Running).toBe(flagsFromIp(ip.flags));
        expect(mine!.address).toBe(ip.address);
      }
      expect(ours.map((l) => l.index)).toEqual([...ours.map((l) => l.index)].sort((x, y) => x - y));
    });
  });

  it('ifindex and ifname agree with ip and with each other', (ctx) => {
    requireRoot(ctx);
    withVeth((a, b) => {
      for (const ip of ipLinks().filter((l) => l.ifname === a || l.ifname === b || l.ifname === 'lo')) {
        expect(ifindex(ip.ifname)).toBe(ip.ifindex);
        expect(ifname(ip.ifindex)).toBe(ip.ifname);
      }
      expect(getLink(a)).toMatchObject({ name: a, kind: 'veth', mtu: 1500 });
      expect(getLink(a).address).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    });
    expect(ifindex('lo')).toBe(1);
  });
});

describe('veth, up/down, delete', () => {
  it('createVeth makes both ends, setUp/setDown flip IFF_UP as ip sees it, deleteLink removes both', (ctx) => {
    requireRoot(ctx);
    const a = testIfname();
    const b = testIfname();
    createVeth(a, b);
    try {
      expect(getLink(b).kind).toBe('veth');
      expect(getLink(a).flags & InterfaceFlags.Up).toBe(0);
      setUp(a);
      setUp(ifindex(b));
      const ipA = ipLinks().find((l) => l.ifname === a)!;
      expect(ipA.flags).toContain('UP');
      expect(getLink(a).flags & InterfaceFlags.Up).toBe(InterfaceFlags.Up);
      setDown(a);
      expect(ipLinks().find((l) => l.ifname === a)!.flags).not.toContain('UP');
    } finally {
      deleteLink(a);
    }
    const names = ipLinks().map((l) => l.ifname);
    expect(names).not.toContain(a);
    expect(names).not.toContain(b);
  });

  it('deleting by index works; deleting twice throws ENODEV', (ctx) => {
    requireRoot(ctx);
    const a = testIfname();
    const index = createVeth(a, testIfname());
    expect(index).toBe(ifindex(a));
    deleteLink(index);
    expect(() => deleteLink(index)).toThrow(expect.objectContaining({ name: 'SyscallError', code: 'ENODEV', syscall: 'netlink(RTM_DELLINK)' }));
    expect(() => deleteLink(a)).toThrow(/^delete interface bk-.*: netlink\(RTM_DELLINK\): ENODEV \(no such device\)$/);
  });

  it('duplicate names throw EEXIST and create nothing', (ctx) => {
    requireRoot(ctx);
    withVeth((a, b) => {
      const c = testIfname();
      const d = testIfname();
      expect(() => createVeth(a, c)).toThrow(expect.objectContaining({ code: 'EEXIST', message: expect.stringContaining(`create veth pair ${a}/${c}`) }));
      expect(() => createVeth(d, b)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
      expect(() => createVeth(c, c)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
      const names = links().map((l) => l.name);
      expect(names).not.toContain(c);
      expect(names).not.toContain(d);
    });
  });

  it('unknown names and indexes throw SyscallError ENODEV naming what was looked up', (ctx) => {
    requireRoot(ctx);
    const missing = testIfname();
    expect(() => ifindex(missing)).toThrow(expect.objectContaining({ name: 'SyscallError', code: 'ENODEV', errno: 19, syscall: 'netlink(RTM_GETLINK)' }));
    expect(() => ifindex(missing)).toThrow(`look up interface ${missing}: netlink(RTM_GETLINK): ENODEV (no such device)`);
    expect(() => ifname(0x7fffffff)).toThrow(expect.objectContaining({ code: 'ENODEV', message: expect.stringContaining('ifindex 2147483647') }));
    expect(() => setUp(missing)).toThrow(expect.objectContaining({ code: 'ENODEV', syscall: 'netlink(RTM_NEWLINK)' }));
    expect(() => getLink(missing)).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });
});

describe('bad input is rejected before any syscall', () => {
  // The kernel would answer these with EINVAL/ERANGE (a SyscallError); InvalidArgumentError shows we never asked.
  const badNames: unknown[] = ['a'.repeat(16), 'ä'.repeat(8), '', '.', '..', 'a/b', 'a:b', 'a b', 'a\tb', 'a\0b', 42.5, null, undefined, {}];
  it.each(badNames)('interface name %j', (name) => {
    const inv = expect.objectContaining({ name: 'InvalidArgumentError', code: 'ERR_INVALID_ARG_VALUE' });
    if (typeof name !== 'number') expect(() => ifindex(name as string)).toThrow(inv);
    expect(() => createVeth(name as string, 'ok0')).toThrow(inv);
    expect(() => createVeth('ok0', name as string)).toThrow(inv);
    expect(() => createNetkit(name as string, 'ok0')).toThrow(inv);
    expect(() => deleteLink(name as string)).toThrow(inv);
    expect(() => setUp(name as string)).toThrow(inv);
  });

  it('names of exactly 15 bytes are allowed; 16 are not, counted in UTF-8 bytes', () => {
    expect(() => ifindex('a'.repeat(16))).toThrow(/is 16 bytes; the kernel allows at most 15 \(IFNAMSIZ - 1\)/);
    expect(() => ifindex('ä'.repeat(8))).toThrow(/is 16 bytes/);
  });

  it.each([0, -1, 1.5, 2 ** 31, Number.NaN, '1' as unknown as number])('interface index %j', (index) => {
    expect(() => ifname(index)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'index' }));
    if (typeof index === 'number') expect(() => deleteLink(index)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('netkit mode and policy must be known values', () => {
    expect(() => createNetkit('ok0', 'ok1', { mode: 7 as NetkitMode })).toThrow(expect.objectContaining({ argument: 'mode' }));
    expect(() => createNetkit('ok0', 'ok1', { policy: 1 as NetkitPolicy })).toThrow(expect.objectContaining({ argument: 'policy' }));
    expect(() => createNetkit('ok0', 'ok1', { peerPolicy: -1 as NetkitPolicy })).toThrow(expect.objectContaining({ argument: 'peerPolicy' }));
  });
});

describe('namespaces', () => {
  it('createVeth with peerNetns puts the peer there; setNetns moves a link there', (ctx) => {
    requireRoot(ctx);
    const ns = createNetns();
    try {
      const a = testIfname();
      const b = testIfname();
      const c = testIfname();
      createVeth(a, b, { peerNetns: ns });
      try {
        expect(links().map((l) => l.name)).not.toContain(b);
        expect(withNetns(ns, () => links().map((l) => l.name))).toEqual(['lo', b]);
        setNetns(a, ns);
        expect(links().map((l) => l.name)).not.toContain(a);
        expect(withNetns(ns, () => getLink(a).kind)).toBe('veth');
        using home = netnsFd('/proc/thread-self/ns/net');
        withNetns(ns, () => setNetns(b, home));
        expect(getLink(b).kind).toBe('veth');
      } finally {
        deleteLink(b);
      }
      createVeth(c, testIfname());
      expect(() => setNetns(c, 99999)).toThrow(expect.objectContaining({ name: 'SyscallError', code: 'EBADF' }));
      deleteLink(c);
    } finally {
      deleteNetns(ns);
    }
  });
});

describe('no fd leaks', () => {
  it('successful and failing operations leave the process fd table as it was', (ctx) => {
    requireRoot(ctx);
    const fdCount = () => openFds().size;
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch {
        // Only the fd count matters here; the errors themselves are tested above.
      }
    };
    const before = fdCount();
    const a = testIfname();
    const b = testIfname();
    attempt(() => ifindex(testIfname()));
    attempt(() => ifname(0x7ffffffe));
    createVeth(a, b);
    attempt(() => createVeth(a, b));
    // Made where the kernel has netkit (and then deleted below), NotSupportedError where not.
    const nk = testIfname();
    attempt(() => createNetkit(nk, testIfname()));
    attempt(() => createNetkit(nk, testIfname()));
    attempt(() => setNetns(a, 99999));
    attempt(() => setNetns(a, '/etc/hostname'));
    attempt(() => setNetns(a, '/proc/self/ns/mnt'));
    attempt(() => withNetns('/nonexistent/ns', () => 1));
    attempt(() => createNetns('.'));
    links();
    deleteLink(a);
    attempt(() => deleteLink(a));
    attempt(() => deleteLink(nk));
    attempt(() => deleteNetns(testIfname()));
    expect(fdCount()).toBe(before);
  });
});
