import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { collectGarbage, isRoot, requireRoot } from '@bpfkit/testing';
import { getLink, InterfaceFlags, links } from './link.js';
import { literalLookup } from './lookup.js';
import { ownLeftovers } from './testing/leftovers.js';
import { Topology } from './topology.js';

const ipLinkNames = () => (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((l) => l.ifname);
const ipNetnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]);

function nextMessage(socket: Socket): Promise<{ msg: Buffer; rinfo: RemoteInfo }> {
  return new Promise((resolve, reject) => {
    socket.once('message', (msg, rinfo) => resolve({ msg, rinfo }));
    socket.once('error', reject);
  });
}

function send(socket: Socket, payload: string, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => socket.send(payload, port, address, (err) => (err ? reject(err) : resolve())));
}

function expectGone(topo: { host: { name: string }; netns: { name: string } }): void {
  expect(ipLinkNames()).not.toContain(topo.host.name);
  expect(ipNetnsList()).not.toContain(topo.netns.name);
}

afterAll(() => {
  if (isRoot) expect(ownLeftovers()).toEqual({ links: [], netns: [] });
});

describe('Topology carries real packets', () => {
  it('UDP from the host end reaches a dgram socket bound inside withNetns, and back over IPv6', async (ctx) => {
    requireRoot(ctx);
    using topo = new Topology({ ipv6: true });
    // Node's dgram, created and bound synchronously inside the namespace.
    const receiver = topo.run(() => {
      const s = createSocket({ type: 'udp4', lookup: literalLookup });
      s.bind(0, topo.peer.address);
      return s;
    });
    const sender = topo.udpSocket('host');
    try {
      const got = nextMessage(receiver);
      await send(sender, 'hello over veth', receiver.address().port, topo.peer.address);
      const { msg, rinfo } = await got;
      expect(msg.toString()).toBe('hello over veth');
      expect(rinfo).toMatchObject({ address: topo.host.address, port: sender.address().port, family: 'IPv4' });

      const reply = nextMessage(sender);
      await send(receiver, 'and back', rinfo.port, rinfo.address);
      expect((await reply).msg.toString()).toBe('and back');
    } finally {
      receiver.close();
      sender.close();
    }

    const peer6 = topo.udpSocket('peer', { family: 6 });
    const host6 = topo.udpSocket('host', { family: 6 });
    try {
      const got = nextMessage(host6);
      await send(peer6, 'v6 from inside', host6.address().port, topo.host.address6!);
      const { msg, rinfo } = await got;
      expect(msg.toString()).toBe('v6 from inside');
      expect(rinfo.address).toBe(topo.peer.address6);
    } finally {
      peer6.close();
      host6.close();
    }
  });

  it('without a synchronous lookup, dgram binds after withNetns returned, outside the namespace', async (ctx) => {
    requireRoot(ctx);
    using topo = new Topology();
    const socket = topo.run(() => {
      const s = createSocket('udp4');
      s.bind(0, topo.peer.address);
      return s;
    });
    try {
      await expect(new Promise((resolve, reject) => {
        socket.once('listening', resolve);
        socket.once('error', reject);
      })).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
    } finally {
      socket.close();
    }
  });

  it('sets everything up: links up on both sides, lo up inside, addresses in one /30, indexes right', (ctx) => {
    requireRoot(ctx);
    using topo = new Topology();
    expect(topo.host.name.length).toBeLessThanOrEqual(15);
    expect(getLink(topo.host.name)).toMatchObject({ index: topo.host.index, kind: 'veth' });
    expect(getLink(topo.host.name).flags & InterfaceFlags.Up).toBe(InterfaceFlags.Up);
    const inside = topo.run(() => links());
    expect(inside.map((l) => [l.name, l.index, (l.flags & InterfaceFlags.Up) !== 0])).toEqual([
      ['lo', 1, true],
      [topo.peer.name, topo.peer.index, true],
    ]);
    const [h, p] = [topo.host.cidr, topo.peer.cidr].map((c) => c.split(/[./]/).map(Number));
    expect(h![4]).toBe(30);
    expect(h!.slice(0, 3)).toEqual(p!.slice(0, 3));
    expect(h![3]! >> 2).toBe(p![3]! >> 2);
  });

  it('udpSocket binds synchronously: a taken port throws at once', (ctx) => {
    requireRoot(ctx);
    using topo = new Topology();
    const first = topo.udpSocket('peer');
    try {
      expect(() => topo.udpSocket('peer', { port: first.address().port })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    } finally {
      first.close();
    }
  });

  it('two topologies at once get distinct names and subnets and both carry traffic', async (ctx) => {
    requireRoot(ctx);
    using a = new Topology();
    using b = new Topology();
    expect(new Set([a.host.name, a.peer.name, b.host.name, b.peer.name]).size).toBe(4);
    expect(a.netns.name).not.toBe(b.netns.name);
    expect(a.host.address.split('.').slice(0, 3).join('.') + (Number(a.host.address.split('.')[3]) >> 2)).not.toBe(
      b.host.address.split('.').slice(0, 3).join('.') + (Number(b.host.address.split('.')[3]) >> 2),
    );
    for (const topo of [a, b]) {
      const rx = topo.udpSocket('peer');
      const tx = topo.udpSocket('host');
      try {
        const got = nextMessage(rx);
        await send(tx, topo.netns.name, rx.address().port, topo.peer.address);
        expect((await got).msg.toString()).toBe(topo.netns.name);
      } finally {
        rx.close();
        tx.close();
      }
    }
  });
});

describe('Topology cleans up', () => {
  it('close() deletes the veth pair and the namespace; closing twice is harmless', (ctx) => {
    requireRoot(ctx);
    const topo = new Topology();
    expect(ipLinkNames()).toContain(topo.host.name);
    expect(ipNetnsList()).toContain(topo.netns.name);
    topo.close();
    expectGone(topo);
    expect(topo.closed).toBe(true);
    expect(topo.netns.fd).toBe(-1);
    topo.close();
    expect(() => topo.run(() => 1)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => topo.udpSocket('peer')).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('a test that throws half-way inside `using` still removes everything', (ctx) => {
    requireRoot(ctx);
    let seen: Topology | undefined;
    expect(() => {
      using topo = new Topology();
      seen = topo;
      throw new Error('test failed midway');
    }).toThrow('test failed midway');
    expectGone(seen!);
  });

  it('a failure while building removes what was already made', (ctx) => {
    requireRoot(ctx);
    // The peer is created inside the new namespace, where "lo" already exists.
    expect(() => new Topology({ peerName: 'lo' })).toThrow(expect.objectContaining({ name: 'SyscallError', code: 'EEXIST' }));
    expect(ownLeftovers()).toEqual({ links: [], netns: [] });
  });

  it('a dropped topology is removed by the finalizer', async (ctx) => {
    requireRoot(ctx);
    const names = (() => {
      const topo = new Topology();
      return { host: { name: topo.host.name }, netns: { name: topo.netns.name } };
    })();
    expect(ipLinkNames()).toContain(names.host.name);
    await collectGarbage(() => !ipNetnsList().includes(names.netns.name));
    expectGone(names);
  });

  it('rejects bad options before creating anything', (ctx) => {
    requireRoot(ctx);
    expect(() => new Topology({ hostName: 'x'.repeat(16) })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'hostName' }));
    expect(() => new Topology({ hostAddress: '10.9.9.1/30' })).toThrow(expect.objectContaining({ argument: 'peerAddress' }));
    expect(() => new Topology({ hostAddress: '10.9.9.1/30', peerAddress: 'nope' })).toThrow(expect.objectContaining({ argument: 'peerAddress' }));
    expect(() => new Topology(null as never)).toThrow(expect.objectContaining({ argument: 'options' }));
    using topo = new Topology({ hostAddress: '10.255.250.1/30', peerAddress: '10.255.250.2/30' });
    expect([topo.host.address, topo.peer.address]).toEqual(['10.255.250.1', '10.255.250.2']);
    expect(() => topo.udpSocket('peer', { family: 6 })).toThrow(/no IPv6 addresses/);
    expect(() => topo.udpSocket('middle' as never)).toThrow(expect.objectContaining({ argument: 'side' }));
    expect(ownLeftovers().links).toEqual([topo.host.name]);
  });
});
