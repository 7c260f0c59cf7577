import { AttachType, ProgramType, type Program } from '@bpfkit/ebpf';
import { isNotExist, SyscallError } from '@bpfkit/errors';
import { Topology } from '@bpfkit/netlink';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, thrown } from '@bpfkit/testing';
import {
  afterLink,
  afterLinkByID,
  afterProgram,
  afterProgramByID,
  type Anchor,
  beforeLink,
  beforeLinkByID,
  beforeProgram,
  beforeProgramByID,
  head,
  replaceProgram,
  tail,
} from './anchor.js';
import type { Link } from './link.js';
import { queryPrograms } from './query.js';
import { attachTCX, TCXLink } from './tcx.js';
import { checkLinkConformance } from './testing/conformance.js';
import { leakChecks, requireKind } from './testing/suite.js';
import { counterMap, counting, readCounter } from './testing/counter.js';
import { linksOfPrograms } from './testing/leaks.js';
import { udpAcross } from './testing/network.js';
import { orderedProgram, runOrder } from './testing/order.js';

const CLS = { type: ProgramType.SchedCLS } as const;
const TCX_PASS = 0;
/** Which end sends so that a hook of the host end sees the packets. */
const SENDER = { [AttachType.TCXIngress]: 'peer', [AttachType.TCXEgress]: 'host' } as const;
const HOOKS = [
  ['ingress', AttachType.TCXIngress],
  ['egress', AttachType.TCXEgress],
] as const;

describe('attachTCX on the real kernel', () => {
  const track = leakChecks();

  for (const [name, hook] of HOOKS) {
    it(`${name}: counts UDP crossing the veth end, by index and by name, and stops after close`, async (ctx) => {
      await requireKind(ctx, 'tcx');
      using topo = new Topology();
      using map = counterMap(2);
      using byIndex = track(counting(map, CLS, { key: 0, returnValue: TCX_PASS }));
      using byName = track(counting(map, CLS, { key: 1, returnValue: TCX_PASS }));
      const a = attachTCX({ program: byIndex, interface: topo.host.index, attach: hook });
      const b = attachTCX({ program: byName, interface: topo.host.name, attach: hook, anchor: tail() });
      expect(a).toBeInstanceOf(TCXLink);
      expect(b.info().tcx).toEqual({ ifindex: topo.host.index, attachType: hook });
      await udpAcross(topo, SENDER[hook], 5);
      // TCX_PASS from the first ends the chain: only it sees the packets.
      expect(readCounter(map, 0)).toBeGreaterThanOrEqual(5n);
      a.close();
      await udpAcross(topo, SENDER[hook], 5);
      expect(readCounter(map, 1)).toBeGreaterThanOrEqual(5n);
      b.close();
      const seen = [readCounter(map, 0), readCounter(map, 1)];
      await udpAcross(topo, SENDER[hook], 5);
      expect([readCounter(map, 0), readCounter(map, 1)]).toEqual(seen);
    });
  }

  type Case = [string, (first: { link: Link; prog: Program }) => Anchor, 'before' | 'after'];
  const cases: Case[] = [
    ['head()', () => head(), 'before'],
    ['tail()', () => tail(), 'after'],
    ['beforeLink', ({ link }) => beforeLink(link), 'before'],
    ['afterLink', ({ link }) => afterLink(link), 'after'],
    ['beforeLinkByID', ({ link }) => beforeLinkByID(link.info().id), 'before'],
    ['afterLinkByID', ({ link }) => afterLinkByID(link.info().id), 'after'],
    ['beforeProgram', ({ prog }) => beforeProgram(prog), 'before'],
    ['afterProgram', ({ prog }) => afterProgram(prog), 'after'],
    ['beforeProgramByID', ({ prog }) => beforeProgramByID(prog.info().id), 'before'],
    ['afterProgramByID', ({ prog }) => afterProgramByID(prog.info().id), 'after'],
  ];
  for (const [name, hook] of HOOKS) {
    it(`${name}: every anchor puts the second program where it says, per queryPrograms and per the order they ran`, async (ctx) => {
      await requireKind(ctx, 'tcx');
      using topo = new Topology();
      using map = counterMap(3);
      using first = track(orderedProgram(map, 1));
      using second = track(orderedProgram(map, 2));
      for (const [anchorName, anchor, where] of cases) {
        using a = attachTCX({ program: first, interface: topo.host.index, attach: hook });
        using b = attachTCX({ program: second, interface: topo.host.name, attach: hook, anchor: anchor({ link: a, prog: first }) });
        const expected = where === 'before' ? [[second, b, 2], [first, a, 1]] as const : [[first, a, 1], [second, b, 2]] as const;
        const q = queryPrograms({ target: topo.host.index, attach: hook });
        expect(q.programs, anchorName).toEqual(expected.map(([p, l]) => ({ id: p.info().id, linkId: l.info().id })));
        await udpAcross(topo, SENDER[hook], 3);
        expect(runOrder(map, [1, 2]), anchorName).toEqual(expected.map(([, , slot]) => slot));
        const [s1, s2] = [map.lookupU64(1)!, map.lookupU64(2)!];
        expect(s1 > s2 ? s1 - s2 : s2 - s1, `${anchorName}: both saw the last packet, one right after the other`).toBe(1n);
      }
    });
  }

  it('expectedRevision from a query attaches; the same, now stale, revision gives ESTALE', async (ctx) => {
    await requireKind(ctx, 'tcx');
    using topo = new Topology();
    using map = counterMap();
    using prog = track(counting(map, CLS, { returnValue: TCX_PASS }));
    const { revision } = queryPrograms({ target: topo.host.index, attach: AttachType.TCXIngress });
    expect(revision).toBeGreaterThanOrEqual(1n);
    using link = attachTCX({ program: prog, interface: topo.host.name, attach: AttachType.TCXIngress, expectedRevision: revision });
    expect(queryPrograms({ target: topo.host.index, attach: AttachType.TCXIngress }).revision).toBe(revision + 1n);
    const stale = thrown(() => attachTCX({ program: prog, interface: topo.host.name, attach: AttachType.TCXIngress, expectedRevision: revision }));
    expect(stale).toBeInstanceOf(SyscallError);
    expect((stale as SyscallError).code).toBe('ESTALE');
    expect(String(stale)).toMatch(new RegExp(`attach TCX TCXIngress to ${topo.host.name}.*revision is no longer ${revision}`));
    expect(link.closed).toBe(false);
    expect(queryPrograms({ target: topo.host.index, attach: AttachType.TCXIngress }).programs).toHaveLength(1);
  });

  it('passes the conformance checks', async (ctx) => {
    await requireKind(ctx, 'tcx');
    using topo = new Topology();
    using map = counterMap();
    using prog = track(counting(map, CLS, { returnValue: TCX_PASS }));
    using other = track(counting(map, CLS, { returnValue: TCX_PASS }));
    await checkLinkConformance({
      program: prog,
      replacement: other,
      attach: () => attachTCX({ program: prog, interface: topo.host.index, attach: AttachType.TCXEgress }),
      checkInfo: (info) => expect(info.tcx).toEqual({ ifindex: topo.host.index, attachType: AttachType.TCXEgress }),
    });
  });

  it('bad input: typed errors naming the interface and hook; nothing left', async (ctx) => {
    await requireKind(ctx, 'tcx');
    using topo = new Topology();
    using other = new Topology();
    const before = openFds();
    using map = counterMap();
    using prog = track(counting(map, CLS, { returnValue: TCX_PASS }));
    using xdp = track(counting(map, { type: ProgramType.XDP }, {}));
    const ingress = { program: prog, interface: topo.host.index, attach: AttachType.TCXIngress };
    for (const bad of [0, -1, 2 ** 31]) {
      expect(thrown(() => attachTCX({ ...ingress, interface: bad }))).toMatchObject({ name: 'InvalidArgumentError', argument: 'interface' });
    }
    const unknown = thrown(() => attachTCX({ ...ingress, interface: 'bk-no-such-if' }));
    expect(isNotExist(unknown)).toBe(true);
    expect(String(unknown)).toMatch(/attach TCX: no interface named bk-no-such-if/);
    expect(String(thrown(() => attachTCX({ ...ingress, program: xdp })))).toMatch(/attach TCX: needs a SchedCLS program, got program type 6/);
    expect(String(thrown(() => attachTCX({ ...ingress, attach: AttachType.XDP })))).toMatch(/37 is not a TCX hook \(AttachType.TCXIngress = 46, AttachType.TCXEgress = 47\)/);
    const collide = thrown(() => attachTCX({ ...ingress, anchor: head(), flags: sys.AttachFlags.After }));
    expect(collide).toMatchObject({ name: 'InvalidArgumentError', argument: 'flags' });
    expect(String(collide)).toMatch(/disallowed flags 0x10: use an anchor/);
    expect(thrown(() => attachTCX({ ...ingress, anchor: replaceProgram(prog) }))).toMatchObject({ argument: 'anchor' });
    expect(thrown(() => attachTCX({ ...ingress, anchor: 3 as never }))).toMatchObject({ argument: 'anchor' });
    expect(thrown(() => attachTCX({ ...ingress, expectedRevision: -1 }))).toMatchObject({ argument: 'expectedRevision' });

    // An anchor naming a link on another interface: the kernel finds no such link at this hook.
    using elsewhere = attachTCX({ ...ingress, interface: other.host.index });
    const foreign = thrown(() => attachTCX({ ...ingress, anchor: afterLink(elsewhere) }));
    expect(foreign).toBeInstanceOf(SyscallError);
    expect(String(foreign)).toMatch(new RegExp(`attach TCX TCXIngress to ifindex ${topo.host.index} at afterLink: bpf\\(BPF_LINK_CREATE\\): ENOENT`));
    const closedLink = attachTCX(ingress);
    closedLink.close();
    expect(String(thrown(() => attachTCX({ ...ingress, anchor: beforeLink(closedLink) })))).toMatch(/anchor beforeLink: the link is closed/);
    elsewhere.close();
    expect(linksOfPrograms([prog.info().id, xdp.info().id])).toEqual([]);
    prog.close();
    xdp.close();
    map.close();
    expect(leakedSince(before)).toEqual([]);
  });
});
