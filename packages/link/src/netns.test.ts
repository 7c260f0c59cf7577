import { asm, AttachType, Helper, Map as BpfMap, MapType, Program, ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, isNotExist, SyscallError } from '@bpfkit/errors';
import { withNetns } from '@bpfkit/netlink';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, loopback, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { probeAttachKind } from './features.js';
import { attachNetNs, NetNsLink } from './netns.js';
import { checkLinkConformance } from './testing/conformance.js';
import { counterMap, counting, readCounter } from './testing/counter.js';
import { linksOfPrograms } from './testing/leaks.js';
import { createTestNetns } from './testing/netns.js';
import { localPort } from './testing/sockaddr.js';
import { leakChecks } from './testing/suite.js';

const { Sock } = sys;
const PORT_A = 7001;
const PORT_B = 7002;
const SK_PASS = 1;
/** Offset of local_port (u32, host order) in struct bpf_sk_lookup; stable since 5.9. */
const LOCAL_PORT = 60;
const FLOW_DISSECTOR = { type: ProgramType.FlowDissector, attachType: AttachType.FlowDissector } as const;

/** An sk_lookup program that hands connections to local port A to the socket at key 0 of `sockets`. */
function steering(sockets: BpfMap): Program {
  return Program.load({
    type: ProgramType.SkLookup,
    attachType: AttachType.SkLookup,
    name: 'bpfkit_steer',
    license: 'GPL',
    instructions: [
      asm.mov64('r6', 'r1'),
      asm.loadMem('r2', 'r6', LOCAL_PORT, 4),
      asm.jne('r2', PORT_A, 'pass'),
      asm.storeImm('r10', -4, 0, 4),
      asm.ldMapFd('r1', sockets),
      asm.mov64('r2', 'r10'),
      asm.add64('r2', -4),
      asm.call(Helper.MapLookupElem),
      asm.jeq('r0', 0, 'pass'),
      asm.mov64('r7', 'r0'),
      asm.mov64('r1', 'r6'),
      asm.mov64('r2', 'r7'),
      asm.mov64('r3', 0),
      asm.call(Helper.SkAssign),
      asm.mov64('r1', 'r7'),
      asm.call(Helper.SkRelease),
      asm.label('pass'),
      asm.mov64('r0', SK_PASS),
      asm.exit(),
    ],
  });
}

function tcp(ns: number | string, flags = 0): sys.FD {
  return withNetns(ns, () => sys.socket(Sock.AF_INET, Sock.SOCK_STREAM | Sock.SOCK_CLOEXEC | flags, 0));
}

/** connect() from a fresh socket in `ns`; returns the connected socket or the SyscallError. */
function connectTo(ns: string, port: number): sys.FD | SyscallError {
  const s = tcp(ns);
  try {
    sys.connect(s.fd, loopback(port));
    return s;
  } catch (err) {
    s.close();
    if (err instanceof SyscallError) return err;
    throw err;
  }
}

/** AF_PACKET sends on lo: packet_snd runs the flow dissector (skb_probe_transport_header). */
function sendRawFrames(ns: string, n: number): void {
  using s = withNetns(ns, () => sys.socket(Sock.AF_PACKET, Sock.SOCK_RAW | Sock.SOCK_CLOEXEC, 0));
  const ETH_P_IP = 0x0800;
  const lo = 1;
  const ll = new Uint8Array(20);
  const v = new DataView(ll.buffer);
  v.setUint16(0, Sock.AF_PACKET, true);
  v.setUint16(2, ETH_P_IP, false);
  v.setInt32(4, lo, true);
  ll[11] = 6;
  // Ethernet header (zero MACs, IPv4) and a minimal IPv4/UDP header to 127.0.0.1.
  const frame = new Uint8Array(14 + 28);
  frame.set([0x08, 0x00], 12);
  frame.set([0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1], 14);
  frame.set([0, 9, 0, 9, 0, 8, 0, 0], 34);
  for (let i = 0; i < n; i++) sys.sendto(s.fd, frame, 0, ll);
}

describe('attachNetNs on the real kernel', () => {
  const track = leakChecks();

  it('sk_lookup steers a TCP connect to port A onto the listener on port B; after close port A refuses', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('netns'));
    const ns = createTestNetns();
    try {
      using listener = tcp(ns.path, Sock.SOCK_NONBLOCK);
      sys.bind(listener.fd, loopback(PORT_B));
      sys.listen(listener.fd);
      using sockets = BpfMap.create({ type: MapType.SockMap, keySize: 4, valueSize: 8, maxEntries: 1 });
      sockets.update(0, BigInt(listener.fd));
      using prog = track(steering(sockets));

      const before = connectTo(ns.path, PORT_A);
      expect((before as SyscallError).code).toBe('ECONNREFUSED');

      const link = attachNetNs(ns.path, prog);
      expect(link).toBeInstanceOf(NetNsLink);
      expect(link.info().netns?.netnsInode).toBe(ns.inode);
      expect(link.info().netns?.attachType).toBe(AttachType.SkLookup);
      const client = connectTo(ns.path, PORT_A);
      expect(client).toBeInstanceOf(sys.FD);
      using conn = sys.accept(listener.fd, Sock.SOCK_CLOEXEC);
      // The accepted socket is the listener's on B, and its local port is the one the client dialled.
      expect(localPort(conn.fd)).toBe(PORT_A);
      (client as sys.FD).close();
      // Port B itself is still served normally.
      const direct = connectTo(ns.path, PORT_B);
      expect(direct).toBeInstanceOf(sys.FD);
      sys.accept(listener.fd, Sock.SOCK_CLOEXEC).close();
      (direct as sys.FD).close();

      link.close();
      const after = connectTo(ns.path, PORT_A);
      expect((after as SyscallError).code).toBe('ECONNREFUSED');
      expect((thrown(() => sys.accept(listener.fd, Sock.SOCK_CLOEXEC)) as SyscallError).code).toBe('EAGAIN');
    } finally {
      ns.remove();
    }
  });

  it('flow_dissector counts AF_PACKET sends in its own netns (by fd), and stops after close', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('netns'));
    const ns = createTestNetns();
    try {
      using map = counterMap();
      using prog = track(counting(map, FLOW_DISSECTOR));
      const link = attachNetNs(ns.fd, prog);
      expect(link.info().netns?.attachType).toBe(AttachType.FlowDissector);
      sendRawFrames(ns.path, 5);
      const seen = readCounter(map);
      expect(seen).toBeGreaterThanOrEqual(5n);
      link.close();
      sendRawFrames(ns.path, 5);
      expect(readCounter(map)).toBe(seen);
    } finally {
      ns.remove();
    }
  });

  it('passes the conformance checks (sk_lookup and flow_dissector)', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('netns'));
    const ns = createTestNetns();
    try {
      using map = counterMap();
      for (const load of [{ type: ProgramType.SkLookup, attachType: AttachType.SkLookup }, FLOW_DISSECTOR] as const) {
        using prog = track(counting(map, load, { returnValue: load.type === ProgramType.SkLookup ? SK_PASS : 0 }));
        using replacement = track(counting(map, load, { key: 0, returnValue: load.type === ProgramType.SkLookup ? SK_PASS : 0 }));
        await checkLinkConformance({
          program: prog,
          replacement,
          attach: () => attachNetNs(ns.path, prog),
          checkInfo: (info) => {
            expect(info.netns?.netnsInode).toBe(ns.inode);
            expect(info.netns?.attachType).toBe(load.attachType);
          },
        });
      }
    } finally {
      ns.remove();
    }
  });

  it('a path that is not a netns, a missing path, a wrong program type, a closed program: typed errors, nothing left', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('netns'));
    const ns = createTestNetns();
    const before = openFds();
    try {
      using map = counterMap();
      using prog = track(counting(map, FLOW_DISSECTOR));
      using filter = track(counting(map, { type: ProgramType.SocketFilter }));
      const closed = counting(map, FLOW_DISSECTOR);
      closed.close();

      for (const path of ['/proc/self/ns/mnt', '/tmp']) {
        const err = thrown(() => attachNetNs(path, prog));
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect(String(err)).toMatch(/attach program to network namespace .* is not a network namespace/);
      }
      const missing = thrown(() => attachNetNs(`${ns.path}-missing`, prog));
      expect(isNotExist(missing)).toBe(true);
      expect(String(missing)).toMatch(/attach program to network namespace/);

      const wrongType = thrown(() => attachNetNs(ns.path, filter));
      expect(wrongType).toBeInstanceOf(InvalidArgumentError);
      expect(String(wrongType)).toMatch(/needs a SkLookup or FlowDissector program/);

      const e4 = thrown(() => attachNetNs(ns.path, closed));
      expect(e4).toBeInstanceOf(InvalidArgumentError);
      expect(String(e4)).toMatch(/program closed/);

      expect(thrown(() => attachNetNs(-1, prog))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attachNetNs('', prog))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => attachNetNs(null as never, prog))).toBeInstanceOf(InvalidArgumentError);
      expect(linksOfPrograms([prog.info().id, filter.info().id])).toEqual([]);
      map.close();
      prog.close();
      filter.close();
    } finally {
      ns.remove();
    }
    expect(leakedSince(before)).toEqual([]);
  });
});
