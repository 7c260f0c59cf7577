import { describe, expect, it } from 'vitest';
import { checkFdLeaks, loopback, readCounter, requireRoot } from '@bpfkit/testing';
import { MapType, ProgType, Sock } from './constants.js';
import { bind, connect, getsockname, getsockopt, listen, recvfrom, sendto, setsockopt } from './libc.js';
import { mapCreate, mapLookupElem } from './map.js';
import { progLoad } from './prog.js';
import { accept, socket } from './socket.js';
import { counterInsns } from './testing/kernel.js';

describe('sockets and a socket filter on the real kernel', () => {
  checkFdLeaks();

  it('a counter program attached with SO_ATTACH_BPF counts real UDP packets, and stops after SO_DETACH_BPF', (ctx) => {
    requireRoot(ctx);
    using map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
    // A socket filter's return value is the number of bytes to keep: keep the whole packet.
    using prog = progLoad({ progType: ProgType.SocketFilter, insns: counterInsns(map.fd, 0xffff), license: 'GPL' });
    using rx = socket(Sock.AF_INET, Sock.SOCK_DGRAM | Sock.SOCK_CLOEXEC, 0);
    using tx = socket(Sock.AF_INET, Sock.SOCK_DGRAM | Sock.SOCK_CLOEXEC, 0);
    bind(rx.fd, loopback());
    const addr = new Uint8Array(16);
    expect(getsockname(rx.fd, addr)).toBe(16);
    const port = new DataView(addr.buffer).getUint16(2, false);
    expect(port).toBeGreaterThan(0);

    setsockopt(rx.fd, Sock.SOL_SOCKET, Sock.SO_ATTACH_BPF, prog.fd);
    const count = () => readCounter((k, v) => mapLookupElem(map.fd, k, v));
    const buf = new Uint8Array(64);
    for (let i = 0; i < 5; i++) {
      sendto(tx.fd, new TextEncoder().encode(`ping ${i}`), 0, loopback(port));
      expect(recvfrom(rx.fd, buf)).toBe(6);
    }
    expect(count()).toBe(5n);

    setsockopt(rx.fd, Sock.SOL_SOCKET, Sock.SO_DETACH_BPF, 0);
    sendto(tx.fd, new Uint8Array([1, 2, 3]), 0, loopback(port));
    expect(recvfrom(rx.fd, buf)).toBe(3);
    expect(count()).toBe(5n);
  });

  it('getsockopt reads back what setsockopt wrote', (ctx) => {
    requireRoot(ctx);
    using s = socket(Sock.AF_INET, Sock.SOCK_DGRAM | Sock.SOCK_CLOEXEC, 0);
    setsockopt(s.fd, Sock.SOL_SOCKET, Sock.SO_RCVBUF, 65536);
    const v = new Uint8Array(4);
    expect(getsockopt(s.fd, Sock.SOL_SOCKET, Sock.SO_RCVBUF, v)).toBe(4);
    expect(new DataView(v.buffer).getInt32(0, true)).toBe(131072); // the kernel doubles it
  });

  it('listen and accept: a TCP connect on loopback is accepted once, then accept says EAGAIN', (ctx) => {
    requireRoot(ctx);
    using server = socket(Sock.AF_INET, Sock.SOCK_STREAM | Sock.SOCK_NONBLOCK | Sock.SOCK_CLOEXEC, 0);
    bind(server.fd, loopback());
    listen(server.fd);
    const addr = new Uint8Array(16);
    getsockname(server.fd, addr);
    const port = new DataView(addr.buffer).getUint16(2, false);
    expect(() => accept(server.fd, Sock.SOCK_CLOEXEC)).toThrow(expect.objectContaining({ code: 'EAGAIN', syscall: 'accept4' }));
    using client = socket(Sock.AF_INET, Sock.SOCK_STREAM | Sock.SOCK_CLOEXEC, 0);
    connect(client.fd, loopback(port));
    using conn = accept(server.fd, Sock.SOCK_CLOEXEC);
    sendto(client.fd, new Uint8Array([7, 8]));
    const buf = new Uint8Array(4);
    expect(recvfrom(conn.fd, buf)).toBe(2);
    expect([...buf.subarray(0, 2)]).toEqual([7, 8]);
    expect(() => accept(server.fd, Sock.SOCK_CLOEXEC)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    expect(() => listen(-1)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'listen' }));
  });

  it('socket errors carry the errno', () => {
    expect(() => socket(12345, Sock.SOCK_DGRAM, 0)).toThrow(expect.objectContaining({ code: 'EAFNOSUPPORT', syscall: 'socket' }));
    expect(() => sendto(-1, new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
