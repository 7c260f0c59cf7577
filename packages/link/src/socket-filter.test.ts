import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { createConnection, createServer, type Socket as TcpSocket } from 'node:net';
import { ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedSince, loopback, openFds, requireRoot, thrown } from '@bpfkit/testing';
import { attachSocketFilter, detachSocketFilter } from './socket-filter.js';
import { counterMap, counting, readCounter } from './testing/counter.js';

import { localPort } from './testing/sockaddr.js';

const { Sock } = sys;
/** A socket filter returns how many bytes of the packet to keep: all of it. */
const KEEP = { type: ProgramType.SocketFilter } as const;
const KEEP_ALL = { returnValue: 0xffff };

async function boundDgram(): Promise<Socket> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

/** Sends `n` datagrams to `rx` and waits until it has received them all. */
async function exchange(rx: Socket, tx: Socket, n: number): Promise<void> {
  let got = 0;
  const all = new Promise<void>((resolve) => {
    const onMessage = () => {
      if (++got === n) {
        rx.off('message', onMessage);
        resolve();
      }
    };
    rx.on('message', onMessage);
  });
  for (let i = 0; i < n; i++) tx.send(`ping ${i}`, rx.address().port, '127.0.0.1');
  await all;
}

describe('attachSocketFilter on the real kernel', () => {
  let fdsBefore: Map<number, string>;
  beforeAll(() => {
    fdsBefore = openFds();
  });
  afterAll(() => {
    expect(leakedSince(fdsBefore)).toEqual([]);
  });

  it('counts the packets a Node dgram socket receives; detachSocketFilter stops the count', async (ctx) => {
    requireRoot(ctx);
    using map = counterMap();
    using prog = counting(map, KEEP, KEEP_ALL);
    const rx = await boundDgram();
    const tx = createSocket('udp4');
    try {
      attachSocketFilter(rx, prog);
      await exchange(rx, tx, 5);
      expect(readCounter(map)).toBe(5n);
      detachSocketFilter(rx);
      await exchange(rx, tx, 3);
      expect(readCounter(map)).toBe(5n);
      const again = thrown(() => detachSocketFilter(rx));
      expect((again as SyscallError).code).toBe('ENOENT');
      expect(String(again)).toMatch(/detach socket filter from fd \d+/);
    } finally {
      rx.close();
      tx.close();
    }
  });

  it('counts the segments a connected net.Socket receives', async (ctx) => {
    requireRoot(ctx);
    using map = counterMap();
    using prog = counting(map, KEEP, KEEP_ALL);
    const accepted: TcpSocket[] = [];
    const server = createServer((c) => accepted.push(c));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const client = createConnection(port, '127.0.0.1');
    try {
      await once(client, 'connect');
      attachSocketFilter(client, prog);
      while (accepted.length === 0) await once(server, 'connection');
      accepted[0]!.write('hello');
      const [data] = (await once(client, 'data')) as [Buffer];
      expect(data.toString()).toBe('hello');
      expect(readCounter(map)).toBeGreaterThanOrEqual(1n);
      detachSocketFilter(client);
      const seen = readCounter(map);
      accepted[0]!.write('again');
      await once(client, 'data');
      expect(readCounter(map)).toBe(seen);
    } finally {
      client.destroy();
      for (const c of accepted) c.destroy();
      server.close();
      await once(server, 'close');
    }
  });

  it('counts the packets a raw socket fd receives, and a filter that keeps 0 bytes drops them', (ctx) => {
    requireRoot(ctx);
    using map = counterMap(2);
    using keep = counting(map, KEEP, { key: 0, ...KEEP_ALL });
    using drop = counting(map, KEEP, { key: 1, returnValue: 0 });
    using rx = sys.socket(Sock.AF_INET, Sock.SOCK_DGRAM | Sock.SOCK_NONBLOCK | Sock.SOCK_CLOEXEC, 0);
    using tx = sys.socket(Sock.AF_INET, Sock.SOCK_DGRAM | Sock.SOCK_CLOEXEC, 0);
    sys.bind(rx.fd, loopback());
    const to = loopback(localPort(rx.fd));
    const buf = new Uint8Array(64);

    attachSocketFilter(rx.fd, keep);
    for (let i = 0; i < 4; i++) {
      sys.sendto(tx.fd, new Uint8Array([1, 2, 3]), 0, to);
      expect(sys.recvfrom(rx.fd, buf)).toBe(3);
    }
    expect(readCounter(map, 0)).toBe(4n);

    // Attaching again replaces the filter.
    attachSocketFilter(rx.fd, drop);
    sys.sendto(tx.fd, new Uint8Array([4]), 0, to);
    expect(readCounter(map, 1)).toBe(1n);
    expect((thrown(() => sys.recvfrom(rx.fd, buf)) as SyscallError).code).toBe('EAGAIN');
    expect(readCounter(map, 0)).toBe(4n);

    detachSocketFilter(rx.fd);
    sys.sendto(tx.fd, new Uint8Array([5, 6]), 0, to);
    expect(sys.recvfrom(rx.fd, buf)).toBe(2);
    expect([readCounter(map, 0), readCounter(map, 1)]).toEqual([4n, 1n]);
  });

  it('a non-socket fd, an unbound dgram socket, a wrong program type, a closed program: typed errors', (ctx) => {
    requireRoot(ctx);
    using map = counterMap();
    using prog = counting(map, KEEP, KEEP_ALL);
    using egress = counting(map, { type: ProgramType.CGroupSKB }, { returnValue: 1 });
    const closed = counting(map, KEEP, KEEP_ALL);
    closed.close();
    const file = openSync('/dev/null', 'r');
    const unbound = createSocket('udp4');
    using sock = sys.socket(Sock.AF_INET, Sock.SOCK_DGRAM | Sock.SOCK_CLOEXEC, 0);
    try {
      const e1 = thrown(() => attachSocketFilter(file, prog));
      expect(e1).toBeInstanceOf(InvalidArgumentError);
      expect(String(e1)).toMatch(new RegExp(`attach socket filter: fd ${file} is not a socket`));

      const e2 = thrown(() => attachSocketFilter(unbound, prog));
      expect(e2).toBeInstanceOf(InvalidArgumentError);
      expect(String(e2)).toMatch(/has an fd once it is bound or connected/);

      const e3 = thrown(() => attachSocketFilter(sock.fd, egress));
      expect(e3).toBeInstanceOf(InvalidArgumentError);
      expect(String(e3)).toMatch(/needs a SocketFilter program/);

      const e4 = thrown(() => attachSocketFilter(sock.fd, closed));
      expect(e4).toBeInstanceOf(InvalidArgumentError);
      expect(String(e4)).toMatch(/program closed/);

      expect(thrown(() => detachSocketFilter(file))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attachSocketFilter(-1, prog))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attachSocketFilter(null as never, prog))).toBeInstanceOf(InvalidArgumentError);
      // An fd number that is not open: fstat says EBADF.
      const dead = sys.dupFd(sock.fd);
      sys.close(dead);
      expect((thrown(() => attachSocketFilter(dead, prog)) as SyscallError).code).toBe('EBADF');
    } finally {
      closeSync(file);
      unbound.close();
    }
  });
});
