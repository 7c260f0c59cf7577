import { execFileSync } from 'node:child_process';
import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, isNotExist, SyscallError } from '@bpfkit/errors';
import { Topology } from '@bpfkit/netlink';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireRoot, thrown } from '@bpfkit/testing';
import { checkLinkConformance } from './testing/conformance.js';
import { leakChecks } from './testing/suite.js';
import { counterMap, counting, readCounter } from './testing/counter.js';
import { linksOfPrograms } from './testing/leaks.js';
import { udpAcross } from './testing/network.js';
import { attachXDP, XDPAttachFlags, XDPLink } from './xdp.js';

const XDP = { type: ProgramType.XDP, attachType: AttachType.XDP } as const;
const XDP_PASS = 2;

describe('attachXDP on the real kernel', () => {
  const track = leakChecks();

  for (const by of ['index', 'name'] as const) {
    it(`by ${by}: counts UDP arriving over a veth pair from another netns, and stops after close`, async (ctx) => {
      requireRoot(ctx);
      using topo = new Topology();
      using map = counterMap();
      using prog = track(counting(map, XDP, { returnValue: XDP_PASS }));
      const link = attachXDP({ program: prog, interface: by === 'index' ? topo.host.index : topo.host.name });
      expect(link).toBeInstanceOf(XDPLink);
      expect(link.mode).toBeUndefined();
      expect(link.info().xdp).toEqual({ ifindex: topo.host.index });
      await udpAcross(topo, 'peer', 5);
      expect(readCounter(map)).toBeGreaterThanOrEqual(5n);
      link.close();
      const seen = readCounter(map);
      await udpAcross(topo, 'peer', 5);
      expect(readCounter(map)).toBe(seen);
    });
  }

  it("the mode ladder keeps the first mode the device accepts: driver on veth, generic once the peer's MTU is too large for native XDP", async (ctx) => {
    requireRoot(ctx);
    using topo = new Topology();
    using map = counterMap(2);
    using prog = track(counting(map, XDP, { key: 0, returnValue: XDP_PASS }));
    {
      using link = attachXDP({ program: prog, interface: topo.host.name, modes: ['driver', 'generic'] });
      expect(link.mode).toBe('driver');
      await udpAcross(topo, 'peer', 3);
      expect(readCounter(map, 0)).toBeGreaterThanOrEqual(3n);
    }
    // veth refuses native XDP with ERANGE when the peer's MTU exceeds a page of frame.
    execFileSync('ip', ['-n', topo.netns.name, 'link', 'set', 'dev', topo.peer.name, 'mtu', '9000']);
    const refused = thrown(() => attachXDP({ program: prog, interface: topo.host.name, flags: XDPAttachFlags.DriverMode }).close());
    expect(refused).toBeInstanceOf(SyscallError);
    expect((refused as SyscallError).code).toBe('ERANGE');
    expect(String(refused)).toMatch(new RegExp(`attach XDP to ${topo.host.name} \\(ifindex ${topo.host.index}\\)`));

    using map2 = counterMap();
    using prog2 = track(counting(map2, XDP, { returnValue: XDP_PASS }));
    const link = attachXDP({ program: prog2, interface: topo.host.index, modes: ['driver', 'generic'] });
    expect(link.mode).toBe('generic');
    await udpAcross(topo, 'peer', 3);
    expect(readCounter(map2)).toBeGreaterThanOrEqual(3n);
    link.close();
    const seen = readCounter(map2);
    await udpAcross(topo, 'peer', 3);
    expect(readCounter(map2)).toBe(seen);

    // A ladder whose every mode is refused says what each answered.
    const all = thrown(() => attachXDP({ program: prog2, interface: topo.host.index, modes: ['driver', 'offload'] }));
    expect(all).toBeInstanceOf(SyscallError);
    expect(String(all)).toMatch(/driver mode refused with ERANGE; offload mode/);
  });

  it('explicit flags are used as given: generic mode counts, and a second XDP link on the device is EBUSY', async (ctx) => {
    requireRoot(ctx);
    using topo = new Topology();
    using map = counterMap();
    using prog = track(counting(map, XDP, { returnValue: XDP_PASS }));
    using link = attachXDP({ program: prog, interface: topo.host.index, flags: XDPAttachFlags.GenericMode });
    expect(link.mode).toBe('generic');
    await udpAcross(topo, 'peer', 4);
    expect(readCounter(map)).toBeGreaterThanOrEqual(4n);
    const busy = thrown(() => attachXDP({ program: prog, interface: topo.host.index, flags: XDPAttachFlags.GenericMode }));
    expect((busy as SyscallError).code).toBe('EBUSY');
  });

  it('update swaps the program: the new one counts, the old one stops', async (ctx) => {
    requireRoot(ctx);
    using topo = new Topology();
    using map = counterMap(2);
    using first = track(counting(map, XDP, { key: 0, returnValue: XDP_PASS }));
    using second = track(counting(map, XDP, { key: 1, returnValue: XDP_PASS }));
    using link = attachXDP({ program: first, interface: topo.host.name });
    await udpAcross(topo, 'peer', 2);
    link.update(second);
    const firstSeen = readCounter(map, 0);
    await udpAcross(topo, 'peer', 3);
    expect(readCounter(map, 0)).toBe(firstSeen);
    expect(readCounter(map, 1)).toBeGreaterThanOrEqual(3n);
    expect(link.info().program).toBe(second.info().id);
  });

  it('passes the conformance checks', async (ctx) => {
    requireRoot(ctx);
    using topo = new Topology();
    using map = counterMap();
    using prog = track(counting(map, XDP, { returnValue: XDP_PASS }));
    using other = track(counting(map, XDP, { returnValue: XDP_PASS }));
    await checkLinkConformance({
      program: prog,
      replacement: other,
      attach: () => attachXDP({ program: prog, interface: topo.host.name }),
      checkInfo: (info) => expect(info.xdp).toEqual({ ifindex: topo.host.index }),
    });
  });

  it('bad input: typed errors naming the interface, before any syscall where it can; nothing left', async (ctx) => {
    requireRoot(ctx);
    using topo = new Topology();
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, XDP, { returnValue: XDP_PASS }));
    using filter = track(counting(map, { type: ProgramType.SocketFilter }, {}));
    for (const bad of [0, -1, 2 ** 31, 1.5, Number.NaN]) {
      const e = thrown(() => attachXDP({ program: prog, interface: bad }));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(String(e)).toMatch(/attach XDP: .* is not an interface index/);
    }
    const missing = thrown(() => attachXDP({ program: prog, interface: 0x7fffffff }));
    expect(isNotExist(missing)).toBe(true);
    expect(String(missing)).toMatch(/no interface with index 2147483647/);
    const unknown = thrown(() => attachXDP({ program: prog, interface: 'bk-no-such-if' }));
    expect((unknown as SyscallError).code).toBe('ENODEV');
    expect(String(unknown)).toMatch(/no interface named bk-no-such-if/);
    // The peer's name exists only inside the topology's namespace.
    expect(isNotExist(thrown(() => attachXDP({ program: prog, interface: topo.peer.name })))).toBe(true);
    const wrongType = thrown(() => attachXDP({ program: filter, interface: topo.host.index }));
    expect(wrongType).toBeInstanceOf(InvalidArgumentError);
    expect(String(wrongType)).toMatch(/needs a XDP program, got program type 1/);
    expect(thrown(() => attachXDP({ program: prog, interface: topo.host.index, modes: [] }))).toBeInstanceOf(InvalidArgumentError);
    expect(String(thrown(() => attachXDP({ program: prog, interface: topo.host.index, modes: ['native' as never] })))).toMatch(/native is not an XDP mode/);
    expect(String(thrown(() => attachXDP({ program: prog, interface: topo.host.index, modes: ['generic', 'generic'] })))).toMatch(/names a mode twice/);
    const collide = thrown(() => attachXDP({ program: prog, interface: topo.host.index, flags: XDPAttachFlags.DriverMode, modes: ['generic'] }));
    expect(collide).toMatchObject({ name: 'InvalidArgumentError', argument: 'flags' });
    expect(thrown(() => attachXDP({ program: prog, interface: topo.host.index, flags: -1 }))).toMatchObject({ argument: 'flags' });
    expect(thrown(() => attachXDP(null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(linksOfPrograms([prog.info().id, filter.info().id])).toEqual([]);
    prog.close();
    filter.close();
    map.close();
    expect(leakedSince(before)).toEqual([]);
  });
});
