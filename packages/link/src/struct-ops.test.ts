import { Server, Socket } from 'node:net';
import { MapFlags, MapType, Map as BpfMap, Program, ProgramType, structOpsValue, counterProgram } from '@bpfkit/ebpf';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { createNetns, deleteNetns, type Netns, setUp, withNetns } from '@bpfkit/netlink';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireRoot, thrown } from '@bpfkit/testing';
import { attachStructOps, StructOpsLink } from './struct-ops.js';
import { checkLinkConformance } from './testing/conformance.js';
import { counterMap, readCounter } from './testing/counter.js';

import { leakChecks, requireKind } from './testing/suite.js';

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_TCP = 6;
const TCP_CONGESTION = 13;
const CONG_AVOID = 0;
const INIT = 1;

let names = 0;
/** A congestion control name unique to this process (bpf_obj_name_cpy allows [A-Za-z0-9_.], 15 chars). */
const ccName = () => `bk_${process.pid.toString(36)}_${++names}`;

function sockaddrIn(port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set([127, 0, 0, 1], 4);
  return b;
}

/**
 * A BPF tcp_congestion_ops: the required ssthresh, undo_cwnd and cong_avoid, plus init; cong_avoid
 * counts at key 0 and init at key 1 of `counters`. Returns the map (MapFlags.Link, value stored) and its programs.
 */
function congestionControl(counters: BpfMap, name: string): { map: BpfMap; programs: Program[] } {
  const load = (member: string, instructions: ReturnType<typeof counterProgram>) =>
    Program.load({ type: ProgramType.StructOps, attachTo: `tcp_congestion_ops:${member}`, instructions, license: 'GPL', name: `bk_${member}` });
  const programs: Program[] = [];
  try {
    const members = {
      // ssthresh and undo_cwnd return a window in segments: 10 is the initial one.
      ssthresh: load('ssthresh', counterProgram(counters, { key: 2, returnValue: 10 })),
      undo_cwnd: load('undo_cwnd', counterProgram(counters, { key: 2, returnValue: 10 })),
      cong_avoid: load('cong_avoid', counterProgram(counters, { key: CONG_AVOID })),
      init: load('init', counterProgram(counters, { key: INIT })),
    };
    programs.push(...Object.values(members));
    const map = BpfMap.create({ type: MapType.StructOpsMap, structOps: 'tcp_congestion_ops', flags: MapFlags.Link, name: 'bk_cc' });
    try {
      map.update(0, structOpsValue({ structOps: 'tcp_congestion_ops', programs: members, fields: { name } }));
    } catch (err) {
      map.close();
      throw err;
    }
    return { map, programs };
  } catch (err) {
    for (const p of programs) p.close();
    throw err;
  }
}

/** A loopback TCP world inside a fresh netns: connections whose client side picks a congestion control. */
class LoopbackNetns {
  readonly netns: Netns = createNetns(`bpfkit-${process.pid}-so${++names}`);

  constructor() {
    try {
      withNetns(this.netns, () => setUp('lo'));
    } catch (err) {
      deleteNetns(this.netns);
      throw err;
    }
  }

  /** A TCP socket made inside the netns, with TCP_CONGESTION set to `cc` (throws as the kernel does). */
  socket(cc?: string): sys.FD {
    const fd = withNetns(this.netns, () => sys.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    try {
      if (cc !== undefined) sys.setsockopt(fd.fd, IPPROTO_TCP, TCP_CONGESTION, new TextEncoder().encode(cc));
      return fd;
    } catch (err) {
      fd.close();
      throw err;
    }
  }

  /** The congestion control a socket uses. */
  static congestion(fd: number): string {
    const buf = new Uint8Array(16);
    sys.getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, buf);
    return new TextDecoder().decode(buf.subarray(0, buf.indexOf(0) < 0 ? 16 : buf.indexOf(0)));
  }

  /** Connects a client using `cc` to a server on 127.0.0.1 in the netns and sends `bytes` through it. */
  async transfer(cc: string | undefined, bytes: number): Promise<string> {
    const listener = this.socket();
    sys.bind(listener.fd, sockaddrIn(0));
    const addr = new Uint8Array(16);
    sys.getsockname(listener.fd, addr);
    const port = new DataView(addr.buffer).getUint16(2, false);
    const server = new Server();
    server.listen({ fd: listener.disown() });
    const client = this.socket(cc);
    try {
      sys.connect(client.fd, sockaddrIn(port));
      const used = LoopbackNetns.congestion(client.fd);
      const received = new Promise<void>((resolve, reject) => {
        server.once('connection', (conn: Socket) => {
          let got = 0;
          conn.on('data', (chunk: Buffer) => {
            got += chunk.length;
            if (got >= bytes) {
              conn.destroy();
              resolve();
            }
          });
          conn.once('error', reject);
        });
      });
      const socket = new Socket({ fd: client.disown(), readable: true, writable: true });
      socket.on('error', () => {});
      socket.end(Buffer.alloc(bytes, 7));
      await received;
      socket.destroy();
      return used;
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  [Symbol.dispose](): void {
    deleteNetns(this.netns);
  }
}

describe('attachStructOps on the real kernel', () => {
  leakChecks();

  it('a BPF tcp_congestion_ops: TCP over loopback in a netns selects it only while the link exists, and its callbacks count while data flows', async (ctx) => {
    await requireKind(ctx, 'struct_ops');
    using net = new LoopbackNetns();
    using counters = counterMap(3);
    const name = ccName();
    const { map, programs } = congestionControl(counters, name);
    try {
      const notYet = thrown(() => net.socket(name));
      expect((notYet as SyscallError).code).toBe('ENOENT');

      const link = attachStructOps({ map });
      expect(link).toBeInstanceOf(StructOpsLink);
      expect(link.info().type).toBe(sys.LinkType.StructOps);
      expect(await net.transfer(name, 4 << 20)).toBe(name);
      expect(readCounter(counters, INIT)).toBeGreaterThanOrEqual(1n);
      expect(readCounter(counters, CONG_AVOID)).toBeGreaterThan(0n);
      link.close();

      const gone = thrown(() => net.socket(name));
      expect((gone as SyscallError).code).toBe('ENOENT');
      const seen = [readCounter(counters, CONG_AVOID), readCounter(counters, INIT)];
      expect(await net.transfer(undefined, 1 << 20)).not.toBe(name);
      expect([readCounter(counters, CONG_AVOID), readCounter(counters, INIT)]).toEqual(seen);
    } finally {
      map.close();
      for (const p of programs) p.close();
    }
  });

  it('update swaps in another struct_ops map of the same name: its callbacks run from then on; another name is refused', async (ctx) => {
    await requireKind(ctx, 'struct_ops');
    using net = new LoopbackNetns();
    using countersA = counterMap(3);
    using countersB = counterMap(3);
    const name = ccName();
    const a = congestionControl(countersA, name);
    const b = congestionControl(countersB, name);
    const other = congestionControl(countersB, ccName());
    try {
      using link = attachStructOps({ map: a.map });
      expect(await net.transfer(name, 1 << 20)).toBe(name);
      expect(readCounter(countersA, CONG_AVOID)).toBeGreaterThan(0n);
      link.update(b.map);
      const seenA = readCounter(countersA, CONG_AVOID);
      expect(await net.transfer(name, 1 << 20)).toBe(name);
      expect(readCounter(countersA, CONG_AVOID)).toBe(seenA);
      expect(readCounter(countersB, CONG_AVOID)).toBeGreaterThan(0n);
      // tcp_congestion_ops replaces an algorithm by name only.
      const renamed = thrown(() => link.update(other.map));
      expect((renamed as SyscallError).code).toBe('EINVAL');
      expect(String(renamed)).toMatch(/update struct_ops link/);
      const prog = a.programs[0]!;
      expect(thrown(() => link.update(prog))).toMatchObject({ name: 'InvalidArgumentError', argument: 'map' });
    } finally {
      for (const cc of [a, b, other]) {
        cc.map.close();
        for (const p of cc.programs) p.close();
      }
    }
  });

  it('passes the conformance checks', async (ctx) => {
    await requireKind(ctx, 'struct_ops');
    using counters = counterMap(3);
    const name = ccName();
    const a = congestionControl(counters, name);
    const b = congestionControl(counters, name);
    try {
      await checkLinkConformance({
        // A struct_ops link has a map, no program: the kernel reports program ID 0.
        program: { fd: a.map.fd, type: ProgramType.StructOps, info: () => ({ id: 0 }) as ReturnType<Program['info']> },
        replacement: b.map as never,
        attach: () => attachStructOps({ map: a.map }),
        checkInfo: (info) => expect(info.type).toBe(sys.LinkType.StructOps),
      });
    } finally {
      for (const cc of [a, b]) {
        cc.map.close();
        for (const p of cc.programs) p.close();
      }
    }
  });

  it('bad input: a map of the wrong kind, without MapFlags.Link, without its callbacks, or closed; a value naming no such member', (ctx) => {
    requireRoot(ctx);
    const before = openFds();
    using array = counterMap();
    const e1 = thrown(() => attachStructOps({ map: array }));
    expect(e1).toMatchObject({ name: 'InvalidArgumentError', argument: 'map' });
    expect(String(e1)).toMatch(/attach struct_ops: map bpfkit_counter is of type 2, not StructOpsMap \(26\)/);
    using prog = Program.load({ type: ProgramType.SocketFilter, instructions: counterProgram(array), license: 'GPL' });
    expect(String(thrown(() => attachStructOps({ map: { fd: prog.fd, type: MapType.StructOpsMap } })))).toMatch(/expected a struct_ops Map, got a BPF prog/);
    expect(thrown(() => attachStructOps(null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => attachStructOps({ map: null as never }))).toMatchObject({ argument: 'map' });

    const unlinked = BpfMap.create({ type: MapType.StructOpsMap, structOps: 'tcp_congestion_ops', name: 'bk_nolink' });
    expect(String(thrown(() => attachStructOps({ map: unlinked })))).toMatch(/bk_nolink was created without MapFlags\.Link/);
    unlinked.close();
    expect(String(thrown(() => attachStructOps({ map: unlinked })))).toMatch(/map closed/);

    let linked: BpfMap;
    try {
      linked = BpfMap.create({ type: MapType.StructOpsMap, structOps: 'tcp_congestion_ops', flags: MapFlags.Link, name: 'bk_empty' });
    } catch (err) {
      // Kernels before 6.4 refuse MapFlags.Link here: the checks above are all they can run.
      if ((err as SyscallError).code === 'EINVAL') return;
      throw err;
    }
    try {
      expect(String(thrown(() => attachStructOps({ map: linked })))).toMatch(/struct_ops map bk_empty has no callbacks yet: store its value/);
      // The kernel validates a tcp_congestion_ops on update: one without ssthresh, undo_cwnd and cong_avoid is refused.
      const incomplete = thrown(() => linked.update(0, structOpsValue({ structOps: 'tcp_congestion_ops', programs: {}, fields: { name: ccName() } })));
      expect((incomplete as SyscallError).code).toBe('EINVAL');
      expect(String(thrown(() => attachStructOps({ map: linked })))).toMatch(/has no callbacks yet/);
    } finally {
      linked.close();
    }
    expect(String(thrown(() => structOpsValue({ structOps: 'tcp_congestion_ops', programs: { no_such_op: prog } })))).toMatch(/struct tcp_congestion_ops has no member no_such_op/);
    expect(String(thrown(() => structOpsValue({ structOps: 'tcp_congestion_ops', programs: { name: prog } })))).toMatch(/tcp_congestion_ops\.name is not a callback/);
    expect(String(thrown(() => structOpsValue({ structOps: 'tcp_congestion_ops', programs: {}, fields: { cong_avoid: 1 } })))).toMatch(/cong_avoid is a callback/);
    expect(String(thrown(() => structOpsValue({ structOps: 'tcp_congestion_ops', programs: {}, fields: { name: 'x'.repeat(16) } })))).toMatch(/does not fit in char\[16\]/);
    expect(thrown(() => structOpsValue({ structOps: 'no_such_ops', programs: {} }))).toMatchObject({ name: 'SymbolNotFoundError' });
    prog.close();
    array.close();
    expect(leakedSince(before)).toEqual([]);
  });
});
