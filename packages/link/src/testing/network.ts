import type { Socket } from 'node:dgram';
import { existsSync, readdirSync } from 'node:fs';
import { links, type Topology } from '@bpfkit/netlink';

const pid36 = process.pid.toString(36);
let names = 0;

/** An interface name unique to this process (`bk-<pid36>-l<n>`), within IFNAMSIZ, as netlink's Topology names its own. */
export function testIfname(): string {
  return `bk-${pid36}-l${(++names).toString(36)}`;
}

/** Devices in this namespace and netns pins under /run/netns named by this process: what a test left behind. */
export function ownLeftovers(): { links: string[]; netns: string[] } {
  const ownLink = new RegExp(`^bk-${pid36}-`);
  const ownNetns = new RegExp(`^bpfkit-${process.pid}-`);
  return {
    links: links().map((l) => l.name).filter((n) => ownLink.test(n)),
    netns: existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => ownNetns.test(n)) : [],
  };
}

/**
 * Sends `n` UDP datagrams from `tx` to `rx` (at `address`) and waits until all `n` arrived, so
 * every hook on their way has run. Closes both sockets.
 */
export async function udpBetween(tx: Socket, rx: Socket, address: string, n: number): Promise<void> {
  try {
    const all = new Promise<void>((resolve, reject) => {
      let seen = 0;
      rx.on('message', () => ++seen === n && resolve());
      rx.once('error', reject);
    });
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve, reject) => tx.send(`bpfkit ${i}`, rx.address().port, address, (err) => (err ? reject(err) : resolve())));
    }
    await all;
  } finally {
    rx.close();
    tx.close();
  }
}

/** udpBetween the two ends of a topology: `from` sends to a socket bound at the other end. */
export function udpAcross(topo: Topology, from: 'host' | 'peer', n: number, family: 4 | 6 = 4): Promise<void> {
  const to = from === 'host' ? 'peer' : 'host';
  const rx = topo.udpSocket(to, { family });
  const tx = topo.udpSocket(from, { family });
  return udpBetween(tx, rx, family === 4 ? topo[to].address : topo[to].address6!, n);
}

