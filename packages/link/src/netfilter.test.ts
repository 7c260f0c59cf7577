import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { Topology } from '@bpfkit/netlink';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, thrown } from '@bpfkit/testing';
import { attachNetfilter, NetfilterAttachFlags, NetfilterInetHook, NetfilterLink, NetfilterProtocolFamily } from './netfilter.js';
import { checkLinkConformance } from './testing/conformance.js';
import { leakChecks, requireKind } from './testing/suite.js';
import { counterMap, counting, readCounter } from './testing/counter.js';
import { linksOfPrograms } from './testing/leaks.js';
import { udpAcross } from './testing/network.js';

const NF = { type: ProgramType.Netfilter, attachType: AttachType.Netfilter } as const;
const NF_ACCEPT = 1;

describe('attachNetfilter on the real kernel', () => {
  const track = leakChecks();

  for (const [family, protocolFamily] of [
    [4, NetfilterProtocolFamily.IPv4],
    [6, NetfilterProtocolFamily.IPv6],
  ] as const) {
    it(`IPv${family}: LOCAL_IN in a netns counts the UDP arriving over a veth pair, info matches, and it stops after close`, async (ctx) => {
      await requireKind(ctx, 'netfilter');
      using topo = new Topology({ ipv6: true });
      using map = counterMap();
      using prog = track(counting(map, NF, { returnValue: NF_ACCEPT }));
      // Netfilter hooks belong to a network namespace: attach inside the topology's.
      const link = topo.run(() => attachNetfilter({ program: prog, protocolFamily, hook: NetfilterInetHook.LocalIn, priority: -128 }));
      expect(link).toBeInstanceOf(NetfilterLink);
      expect(link.info().netfilter).toEqual({ protocolFamily, hook: NetfilterInetHook.LocalIn, priority: -128, flags: 0 });
      await udpAcross(topo, 'host', 5, family);
      expect(readCounter(map)).toBeGreaterThanOrEqual(5n);
      link.close();
      const seen = readCounter(map);
      await udpAcross(topo, 'host', 5, family);
      expect(readCounter(map)).toBe(seen);
    });
  }

  it('IPDefrag is the kernel flag (1): it shows in info().netfilter.flags, and LOCAL_OUT counts what the netns sends', async (ctx) => {
    await requireKind(ctx, 'netfilter');
    using topo = new Topology();
    using map = counterMap();
    using prog = track(counting(map, NF, { returnValue: NF_ACCEPT }));
    expect(NetfilterAttachFlags.IPDefrag).toBe(1);
    using link = topo.run(() =>
      attachNetfilter({ program: prog, protocolFamily: NetfilterProtocolFamily.IPv4, hook: NetfilterInetHook.LocalOut, priority: 10, netfilterFlags: NetfilterAttachFlags.IPDefrag }),
    );
    expect(link.info().netfilter).toEqual({ protocolFamily: NetfilterProtocolFamily.IPv4, hook: NetfilterInetHook.LocalOut, priority: 10, flags: 1 });
    await udpAcross(topo, 'peer', 4);
    expect(readCounter(map)).toBeGreaterThanOrEqual(4n);
  });

  it('passes the conformance checks (update is not supported)', async (ctx) => {
    await requireKind(ctx, 'netfilter');
    using topo = new Topology();
    using map = counterMap();
    using prog = track(counting(map, NF, { returnValue: NF_ACCEPT }));
    await checkLinkConformance({
      program: prog,
      attach: () => topo.run(() => attachNetfilter({ program: prog, protocolFamily: NetfilterProtocolFamily.IPv6, hook: NetfilterInetHook.PreRouting, priority: 7 })),
      checkInfo: (info) => expect(info.netfilter).toEqual({ protocolFamily: NetfilterProtocolFamily.IPv6, hook: NetfilterInetHook.PreRouting, priority: 7, flags: 0 }),
    });
  });

  it('bad input: reserved priorities, unknown hooks, families and flags, the wrong program type; nothing left', async (ctx) => {
    await requireKind(ctx, 'netfilter');
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, NF, { returnValue: NF_ACCEPT }));
    using xdp = track(counting(map, { type: ProgramType.XDP }, {}));
    const ok = { program: prog, protocolFamily: NetfilterProtocolFamily.IPv4, hook: NetfilterInetHook.LocalIn, priority: 0 };
    for (const priority of [-0x80000000, 0x7fffffff]) {
      const e = thrown(() => attachNetfilter({ ...ok, priority }));
      expect(e).toMatchObject({ name: 'InvalidArgumentError', argument: 'priority' });
      expect(String(e)).toMatch(new RegExp(`priority ${priority} is reserved by the kernel \\(NF_IP_PRI_(FIRST|LAST)\\)`));
    }
    for (const priority of [2 ** 31, 0.5, Number.NaN]) expect(thrown(() => attachNetfilter({ ...ok, priority }))).toMatchObject({ argument: 'priority' });
    for (const hook of [5, -1, 1.5]) {
      const e = thrown(() => attachNetfilter({ ...ok, hook }));
      expect(e).toMatchObject({ name: 'InvalidArgumentError', argument: 'hook' });
      expect(String(e)).toMatch(/is not a netfilter hook \(PreRouting = 0, LocalIn = 1/);
    }
    const arp = thrown(() => attachNetfilter({ ...ok, protocolFamily: NetfilterProtocolFamily.ARP }));
    expect(arp).toBeInstanceOf(SyscallError);
    expect((arp as SyscallError).code).toBe('EAFNOSUPPORT');
    expect(String(arp)).toMatch(/attach netfilter to ARP LocalIn at priority 0/);
    const flags = thrown(() => attachNetfilter({ ...ok, netfilterFlags: 1 << 5 }));
    expect(flags).toBeInstanceOf(SyscallError);
    expect(String(flags)).toMatch(/attach netfilter to IPv4 LocalIn/);
    expect(thrown(() => attachNetfilter({ ...ok, netfilterFlags: -1 }))).toMatchObject({ argument: 'netfilterFlags' });
    const wrong = thrown(() => attachNetfilter({ ...ok, program: xdp }));
    expect(wrong).toBeInstanceOf(InvalidArgumentError);
    expect(String(wrong)).toMatch(/needs a Netfilter program, got program type 6/);
    expect(thrown(() => attachNetfilter(null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(linksOfPrograms([prog.info().id, xdp.info().id])).toEqual([]);
    prog.close();
    xdp.close();
    map.close();
    expect(leakedSince(before)).toEqual([]);
  });
});
