import { createSocket, type Socket } from 'node:dgram';
import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { addAddress, createNetkit, createNetns, deleteLink, deleteNetns, ifindex, literalLookup, type Netns, setUp, Topology, withNetns } from '@bpfkit/netlink';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, thrown } from '@bpfkit/testing';
import { head } from './anchor.js';
import { attachNetkit, NetkitLink } from './netkit.js';
import { queryPrograms } from './query.js';
import { checkLinkConformance } from './testing/conformance.js';
import { leakChecks, requireKind } from './testing/suite.js';
import { counterMap, counting, readCounter } from './testing/counter.js';
import { linksOfPrograms } from './testing/leaks.js';
import { testIfname, udpBetween } from './testing/network.js';
import { orderedProgram, runOrder } from './testing/order.js';

const CLS = { type: ProgramType.SchedCLS } as const;
const NETKIT_PASS = 0;

let pairs = 0;

/** A netkit pair (L3 mode) with its peer in a fresh netns, addresses in a /30 outside Topology's 10.192.0.0/10. */
class NetkitPair {
  readonly primary = testIfname();
  readonly peer = testIfname();
  readonly netns: Netns;
  readonly index: number;
  /** The peer's ifindex in its namespace: what the kernel reports for NetkitPeer links. */
  readonly peerIndex: number;
  readonly primaryAddress: string;
  readonly peerAddress: string;

  constructor() {
    const base = 4 * ((process.pid * 8 + ++pairs) % (1 << 14));
    const ip = (n: number) => `10.191.${(base + n) >> 8}.${(base + n) & 255}`;
    [this.primaryAddress, this.peerAddress] = [ip(1), ip(2)];
    this.netns = createNetns(`bpfkit-${process.pid}-nk${pairs}`);
    try {
      this.index = createNetkit(this.primary, this.peer, { peerNetns: this.netns });
      addAddress(this.primary, `${this.primaryAddress}/30`);
      setUp(this.primary);
      this.peerIndex = withNetns(this.netns, () => {
        addAddress(this.peer, `${this.peerAddress}/30`);
        setUp(this.peer);
        setUp('lo');
        return ifindex(this.peer);
      });
    } catch (err) {
      this[Symbol.dispose]();
      throw err;
    }
  }

  socket(side: 'primary' | 'peer'): Socket {
    const bind = () => {
      const s = createSocket({ type: 'udp4', lookup: literalLookup });
      s.bind(0, side === 'primary' ? this.primaryAddress : this.peerAddress);
      return s;
    };
    return side === 'peer' ? withNetns(this.netns, bind) : bind();
  }

  /** `n` datagrams from one side to the other, all received. */
  send(from: 'primary' | 'peer', n: number): Promise<void> {
    const to = from === 'primary' ? 'peer' : 'primary';
    return udpBetween(this.socket(from), this.socket(to), to === 'peer' ? this.peerAddress : this.primaryAddress, n);
  }

  [Symbol.dispose](): void {
    try {
      deleteLink(this.primary);
    } catch (err) {
      if ((err as SyscallError).code !== 'ENODEV') throw err;
    } finally {
      deleteNetns(this.netns);
    }
  }
}

describe('attachNetkit on the real kernel', () => {
  const track = leakChecks();

  it('UDP across a netkit pair is counted by a program on the primary and one on the peer, until they close', async (ctx) => {
    await requireKind(ctx, 'netkit');
    using pair = new NetkitPair();
    using map = counterMap(2);
    using onPrimary = track(counting(map, CLS, { key: 0, returnValue: NETKIT_PASS }));
    using onPeer = track(counting(map, CLS, { key: 1, returnValue: NETKIT_PASS }));
    const primary = attachNetkit({ program: onPrimary, interface: pair.primary, attach: AttachType.NetkitPrimary });
    const peer = attachNetkit({ program: onPeer, interface: pair.index, attach: AttachType.NetkitPeer });
    expect(primary).toBeInstanceOf(NetkitLink);
    expect(primary.info().netkit).toEqual({ ifindex: pair.index, attachType: AttachType.NetkitPrimary });
    expect(peer.info().netkit).toEqual({ ifindex: pair.peerIndex, attachType: AttachType.NetkitPeer });
    await pair.send('primary', 5);
    expect(readCounter(map, 0)).toBeGreaterThanOrEqual(5n);
    await pair.send('peer', 5);
    expect(readCounter(map, 1)).toBeGreaterThanOrEqual(5n);
    primary.close();
    peer.close();
    const seen = [readCounter(map, 0), readCounter(map, 1)];
    await pair.send('primary', 5);
    await pair.send('peer', 5);
    expect([readCounter(map, 0), readCounter(map, 1)]).toEqual(seen);
  });

  it('head() puts the second program first (per queryPrograms and the run order); a stale expectedRevision gives ESTALE', async (ctx) => {
    await requireKind(ctx, 'netkit');
    using pair = new NetkitPair();
    using map = counterMap(3);
    using first = track(orderedProgram(map, 1));
    using second = track(orderedProgram(map, 2));
    const hook = { interface: pair.index, attach: AttachType.NetkitPeer } as const;
    const { revision } = queryPrograms({ target: pair.index, attach: AttachType.NetkitPeer });
    using a = attachNetkit({ ...hook, program: first, expectedRevision: revision });
    using b = attachNetkit({ ...hook, program: second, anchor: head() });
    expect(queryPrograms({ target: pair.index, attach: AttachType.NetkitPeer }).programs).toEqual([
      { id: second.info().id, linkId: b.info().id },
      { id: first.info().id, linkId: a.info().id },
    ]);
    await pair.send('peer', 3);
    expect(runOrder(map, [1, 2])).toEqual([2, 1]);
    const stale = thrown(() => attachNetkit({ ...hook, program: first, expectedRevision: revision }));
    expect((stale as SyscallError).code).toBe('ESTALE');
  });

  it('passes the conformance checks', async (ctx) => {
    await requireKind(ctx, 'netkit');
    using pair = new NetkitPair();
    using map = counterMap();
    using prog = track(counting(map, CLS, { returnValue: NETKIT_PASS }));
    using other = track(counting(map, CLS, { returnValue: NETKIT_PASS }));
    await checkLinkConformance({
      program: prog,
      replacement: other,
      attach: () => attachNetkit({ program: prog, interface: pair.primary, attach: AttachType.NetkitPrimary }),
      checkInfo: (info) => expect(info.netkit).toEqual({ ifindex: pair.index, attachType: AttachType.NetkitPrimary }),
    });
  });

  it('bad input: not a netkit device, its peer, a wrong hook or program; nothing left', async (ctx) => {
    await requireKind(ctx, 'netkit');
    using pair = new NetkitPair();
    using topo = new Topology();
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, CLS, { returnValue: NETKIT_PASS }));
    using xdp = track(counting(map, { type: ProgramType.XDP }, {}));
    const ok = { program: prog, interface: pair.index, attach: AttachType.NetkitPrimary };
    const veth = thrown(() => attachNetkit({ ...ok, interface: topo.host.name }));
    expect(veth).toBeInstanceOf(SyscallError);
    expect(String(veth)).toMatch(new RegExp(`attach netkit NetkitPrimary to ${topo.host.name} \\(ifindex ${topo.host.index}\\)`));
    // Programs attach through the primary only, for both hooks.
    const viaPeer = withNetns(pair.netns, () => thrown(() => attachNetkit({ ...ok, interface: pair.peer })));
    expect(viaPeer).toBeInstanceOf(SyscallError);
    expect(String(viaPeer)).toMatch(new RegExp(`attach netkit NetkitPrimary to ${pair.peer}`));
    for (const bad of [0, -1, 2 ** 31]) expect(thrown(() => attachNetkit({ ...ok, interface: bad }))).toMatchObject({ argument: 'interface' });
    expect(String(thrown(() => attachNetkit({ ...ok, attach: AttachType.TCXIngress })))).toMatch(/46 is not a netkit hook \(AttachType.NetkitPrimary = 54, AttachType.NetkitPeer = 55\)/);
    expect(thrown(() => attachNetkit({ ...ok, program: xdp }))).toBeInstanceOf(InvalidArgumentError);
    expect(linksOfPrograms([prog.info().id, xdp.info().id])).toEqual([]);
    prog.close();
    xdp.close();
    map.close();
    expect(leakedSince(before)).toEqual([]);
  });
});
