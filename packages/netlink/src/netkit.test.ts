import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { compareVersions, kernelVersion } from '@bpfkit/sys';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { isRoot, requireRoot, skipUnsupported } from '@bpfkit/testing';
import { addAddress } from './address.js';
import { IFINFOMSG_LEN, Ifla, IflaInfo, IflaNetkit, RtmType } from './constants.js';
import { deleteLink, getLink, getLinkRequest, InterfaceFlags, links, setUp } from './link.js';
import { literalLookup } from './lookup.js';
import { attrMap, readU32 } from './message.js';
import { createNetkit, NetkitMode, type NetkitOptions, NetkitPolicy } from './netkit.js';
import { createNetns, deleteNetns, type Netns, withNetns } from './netns.js';
import { withRtnl } from './socket.js';
import { ownLeftovers, testIfname } from './testing/leftovers.js';

afterAll(() => {
  if (isRoot) expect(ownLeftovers()).toEqual({ links: [], netns: [] });
});

/** Creates the pair or skips the test where the kernel has no netkit (the kernel's EOPNOTSUPP). */
function netkitOrSkip(ctx: TestContext, primary: string, peer: string, options: NetkitOptions = {}): number {
  try {
    return createNetkit(primary, peer, options);
  } catch (err) {
    return skipUnsupported(ctx, err);
  }
}

/** IFLA_INFO_DATA of a netkit link as the kernel reports it (iproute2 before 6.7 cannot show it). */
function netkitData(link: string): { primary: number; policy: number; peerPolicy: number; mode: number } {
  const reply = withRtnl((rtnl) => rtnl.request(getLinkRequest(link))).find((m) => m.type === RtmType.NEWLINK)!;
  const linkinfo = attrMap(attrMap(reply.payload.subarray(IFINFOMSG_LEN)).get(Ifla.LINKINFO)!);
  const data = attrMap(linkinfo.get(IflaInfo.DATA)!);
  return {
    primary: data.get(IflaNetkit.PRIMARY)![0]!,
    policy: readU32(data.get(IflaNetkit.POLICY)!),
    peerPolicy: readU32(data.get(IflaNetkit.PEER_POLICY)!),
    mode: readU32(data.get(IflaNetkit.MODE)!),
  };
}

interface IpStats {
  stats64: { rx: { packets: number }; tx: { packets: number; dropped: number } };
}

function ipStats(netns: Netns, dev: string): IpStats['stats64'] {
  const [link] = JSON.parse(execFileSync('ip', ['-n', netns.name, '-s', '-j', 'link', 'show', 'dev', dev], { encoding: 'utf8' })) as IpStats[];
  return link!.stats64;
}

function udpIn(netns: Netns, address: string): Socket {
  return withNetns(netns, () => {
    const s = createSocket({ type: 'udp4', lookup: literalLookup });
    s.bind(0, address);
    return s;
  });
}

describe('netkit', () => {
  it('creates a pair, or throws NotSupportedError naming CONFIG_NETKIT with the kernel text and leaves nothing', (ctx) => {
    requireRoot(ctx);
    const primary = testIfname();
    const peer = testIfname();
    let index = 0;
    try {
      index = createNetkit(primary, peer);
    } catch (err) {
      expect(err).toMatchObject({ name: 'NotSupportedError', feature: 'netkit device', minimumKernel: '6.7' });
      expect((err as Error).message).toContain('Unknown device type');
      if (compareVersions(kernelVersion(), '6.7') >= 0) expect(err).toMatchObject({ missingConfig: 'CONFIG_NETKIT' });
      expect((err as { cause?: unknown }).cause).toMatchObject({ name: 'SyscallError', code: 'EOPNOTSUPP', hint: 'Unknown device type' });
      expect(links().map((l) => l.name)).not.toContain(primary);
      skipUnsupported(ctx, err);
    }
    try {
      expect(getLink(primary)).toMatchObject({ kind: 'netkit', index, mtu: 1500 });
      expect(getLink(peer).kind).toBe('netkit');
      expect(getLink(primary).flags & InterfaceFlags.Up).toBe(0);
      // The kernel's defaults: L3, both ends pass.
      expect(netkitData(primary)).toEqual({ primary: 1, mode: NetkitMode.L3, policy: NetkitPolicy.Pass, peerPolicy: NetkitPolicy.Pass });
      expect(netkitData(peer)).toEqual({ primary: 0, mode: NetkitMode.L3, policy: NetkitPolicy.Pass, peerPolicy: NetkitPolicy.Pass });
      expect(() => createNetkit(primary, testIfname())).toThrow(expect.objectContaining({ name: 'SyscallError', code: 'EEXIST' }));
    } finally {
      deleteLink(peer);
    }
    // Deleting either end removes both.
    const names = links().map((l) => l.name);
    expect(names).not.toContain(primary);
    expect(names).not.toContain(peer);
  });

  it('mode and policies reach the kernel: L3 has no ARP, L2 gets Ethernet addresses', (ctx) => {
    requireRoot(ctx);
    const l3 = [testIfname(), testIfname()] as const;
    const l2 = [testIfname(), testIfname()] as const;
    netkitOrSkip(ctx, l3[0], l3[1], { mode: NetkitMode.L3, policy: NetkitPolicy.Drop, peerPolicy: NetkitPolicy.Pass });
    try {
      createNetkit(l2[0], l2[1], { mode: NetkitMode.L2, policy: NetkitPolicy.Pass, peerPolicy: NetkitPolicy.Drop });
      try {
        expect(netkitData(l3[0])).toEqual({ primary: 1, mode: NetkitMode.L3, policy: NetkitPolicy.Drop, peerPolicy: NetkitPolicy.Pass });
        expect(netkitData(l3[1])).toEqual({ primary: 0, mode: NetkitMode.L3, policy: NetkitPolicy.Pass, peerPolicy: NetkitPolicy.Drop });
        expect(netkitData(l2[0])).toEqual({ primary: 1, mode: NetkitMode.L2, policy: NetkitPolicy.Pass, peerPolicy: NetkitPolicy.Drop });
        expect(netkitData(l2[1])).toEqual({ primary: 0, mode: NetkitMode.L2, policy: NetkitPolicy.Drop, peerPolicy: NetkitPolicy.Pass });
        for (const name of l3) expect(getLink(name).flags & InterfaceFlags.NoArp).toBe(InterfaceFlags.NoArp);
        const macs = l2.map((name) => getLink(name).address);
        for (const name of l2) expect(getLink(name).flags & InterfaceFlags.NoArp).toBe(0);
        for (const mac of macs) expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        expect(macs).not.toContain('00:00:00:00:00:00');
        expect(macs[0]).not.toBe(macs[1]);
      } finally {
        deleteLink(l2[0]);
      }
    } finally {
      deleteLink(l3[0]);
    }
    const names = links().map((l) => l.name);
    for (const name of [...l3, ...l2]) expect(names).not.toContain(name);
  });

  it('carries packets between namespaces: the Pass primary forwards, the Drop peer drops what it sends', async (ctx) => {
    requireRoot(ctx);
    // Both ends in namespaces of their own: no address is added to the calling namespace.
    const near = createNetns();
    const far = createNetns();
    const primary = testIfname();
    const peer = testIfname();
    const sockets: Socket[] = [];
    try {
      withNetns(near, () => netkitOrSkip(ctx, primary, peer, { peerPolicy: NetkitPolicy.Drop, peerNetns: far }));
      expect(withNetns(far, () => links().map((l) => l.name))).toEqual(['lo', peer]);
      expect(withNetns(near, () => links().map((l) => l.name))).toEqual(['lo', primary]);
      withNetns(near, () => {
        addAddress(primary, '10.254.9.1/30');
        setUp(primary);
      });
      withNetns(far, () => {
        addAddress(peer, '10.254.9.2/30');
        setUp(peer);
      });
      const tx = udpIn(near, '10.254.9.1');
      const rx = udpIn(far, '10.254.9.2');
      sockets.push(tx, rx);

      const received = once(rx, 'message');
      tx.send('through netkit', rx.address().port, '10.254.9.2');
      const [msg, rinfo] = (await received) as [Buffer, { address: string; port: number }];
      expect(msg.toString()).toBe('through netkit');
      expect(rinfo).toMatchObject({ address: '10.254.9.1', port: tx.address().port });
      expect(ipStats(far, peer).rx.packets).toBeGreaterThanOrEqual(1);

      const droppedBefore = ipStats(far, peer).tx.dropped;
      await new Promise<void>((resolve, reject) => rx.send('back', rinfo.port, rinfo.address, (err) => (err ? reject(err) : resolve())));
      // netkit's xmit runs inside sendmsg(2): the drop is counted by the time the send completes.
      expect(ipStats(far, peer).tx.dropped).toBeGreaterThan(droppedBefore);
      // Nothing the peer sent ever reached the primary.
      expect(ipStats(near, primary).rx.packets).toBe(0);
    } finally {
      for (const s of sockets) s.close();
      try {
        // Deleting the primary inside its namespace removes the peer in the other.
        if (withNetns(near, () => links().some((l) => l.name === primary))) withNetns(near, () => deleteLink(primary));
        expect(withNetns(far, () => links().map((l) => l.name))).toEqual(['lo']);
      } finally {
        deleteNetns(near);
        deleteNetns(far);
      }
    }
  });
});
