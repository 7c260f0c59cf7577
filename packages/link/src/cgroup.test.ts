import { AttachType, ProgramType } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import { InvalidArgumentError, isNotExist, SyscallError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireRoot, thrown } from '@bpfkit/testing';
import { attachCgroup, cgroup2Mount, CgroupLink, openCgroup, ProgAttachCgroupLink } from './cgroup.js';
import { closeAll } from './close.js';
import { queryPrograms } from './query.js';
import { loadPinnedLink } from './wrap.js';
import { checkLinkConformance } from './testing/conformance.js';
import { counterMap, counting, readCounter } from './testing/counter.js';
import { createCgroup, udpFromCgroup } from './testing/cgroup.js';
import { linksOfPrograms } from './testing/leaks.js';
import { leakChecks } from './testing/suite.js';

const EGRESS = { type: ProgramType.CGroupSKB, attachType: AttachType.CGroupInetEgress } as const;
const SOCK_CREATE = { type: ProgramType.CGroupSock, attachType: AttachType.CGroupInetSockCreate } as const;

describe('attachCgroup on the real kernel', () => {
  let cg: { path: string; remove(): void };
  const track = leakChecks();

  for (const mechanism of ['bpf_link', 'prog_attach'] as const) {
    it(`${mechanism}: inet egress and sock_create count a child's UDP sends, and stop after close`, (ctx) => {
      requireRoot(ctx);
      cg = createCgroup();
      using map = counterMap(2);
      using egress = track(counting(map, EGRESS, { key: 0, returnValue: 1 }));
      using create = track(counting(map, SOCK_CREATE, { key: 1, returnValue: 1 }));
      try {
        const a = attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: egress, mechanism });
        const b = attachCgroup({ path: cg.path, attach: AttachType.CGroupInetSockCreate, program: create, mechanism });
        expect(a).toBeInstanceOf(mechanism === 'bpf_link' ? CgroupLink : ProgAttachCgroupLink);
        expect(a.mechanism).toBe(mechanism);
        udpFromCgroup(cg.path, 5);
        expect(readCounter(map, 0)).toBeGreaterThanOrEqual(5n);
        expect(readCounter(map, 1)).toBe(5n);
        a.close();
        b.close();
        const [egressSeen, createSeen] = [readCounter(map, 0), readCounter(map, 1)];
        udpFromCgroup(cg.path, 5);
        expect(readCounter(map, 0)).toBe(egressSeen);
        expect(readCounter(map, 1)).toBe(createSeen);
      } finally {
        cg.remove();
      }
    });

    it(`${mechanism}: two programs on one hook both run; update swaps one atomically`, (ctx) => {
      requireRoot(ctx);
      cg = createCgroup();
      using map = counterMap(3);
      using first = track(counting(map, EGRESS, { key: 0, returnValue: 1 }));
      using second = track(counting(map, EGRESS, { key: 1, returnValue: 1 }));
      using third = track(counting(map, EGRESS, { key: 2, returnValue: 1 }));
      try {
        using a = attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: first, mechanism });
        using b = attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: second, mechanism });
        udpFromCgroup(cg.path, 3);
        expect(readCounter(map, 0)).toBeGreaterThanOrEqual(3n);
        expect(readCounter(map, 1)).toBeGreaterThanOrEqual(3n);
        b.update(third);
        const [firstSeen, secondSeen] = [readCounter(map, 0), readCounter(map, 1)];
        udpFromCgroup(cg.path, 3);
        expect(readCounter(map, 0)).toBeGreaterThanOrEqual(firstSeen + 3n);
        expect(readCounter(map, 1)).toBe(secondSeen);
        expect(readCounter(map, 2)).toBeGreaterThanOrEqual(3n);
        a.close();
        b.close();
      } finally {
        cg.remove();
      }
    });
  }

  it('queryPrograms lists the attached programs in order, with their link IDs where the kernel reports them', (ctx) => {
    requireRoot(ctx);
    cg = createCgroup();
    using map = counterMap();
    using first = track(counting(map, EGRESS, { returnValue: 1 }));
    using second = track(counting(map, EGRESS, { returnValue: 1 }));
    try {
      using a = attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: first });
      using b = attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: second });
      using dir = openCgroup(cg.path, 'query');
      const result = queryPrograms({ target: dir, attach: AttachType.CGroupInetEgress });
      expect(result.programs.map((p) => p.id)).toEqual([first.info().id, second.info().id]);
      // Kernels with cgroup revisions may report link IDs; older ones report none.
      if (result.programs.some((p) => p.linkId !== undefined)) {
        expect(result.programs.map((p) => p.linkId)).toEqual([(a as CgroupLink).info().id, (b as CgroupLink).info().id]);
      }
      a.close();
      b.close();
      expect(queryPrograms({ target: dir, attach: AttachType.CGroupInetEgress }).programs).toEqual([]);
    } finally {
      cg.remove();
    }
  });

  it('the bpf_link path passes the conformance checks', async (ctx) => {
    requireRoot(ctx);
    cg = createCgroup();
    using map = counterMap();
    using prog = track(counting(map, EGRESS, { returnValue: 1 }));
    try {
      await checkLinkConformance({
        program: prog,
        attach: () => attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: prog, mechanism: 'bpf_link' }),
        checkInfo: (info) => {
          expect(info.cgroup?.cgroupId).toBeGreaterThan(0n);
          expect(info.cgroup?.attachType).toBe(AttachType.CGroupInetEgress);
        },
      });
    } finally {
      cg.remove();
    }
  });

  it('the PROG_ATTACH path passes the conformance checks (no link fd: pin, info, detach not supported)', async (ctx) => {
    requireRoot(ctx);
    cg = createCgroup();
    using map = counterMap();
    using prog = track(counting(map, EGRESS, { returnValue: 1 }));
    try {
      await checkLinkConformance({
        program: prog,
        attach: () => attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: prog, mechanism: 'prog_attach' }),
      });
    } finally {
      cg.remove();
    }
  });

  it('closeAll closes 200 links without leaving a link or an fd', async (ctx) => {
    requireRoot(ctx);
    // A cgroup hook holds at most 64 programs: spread the links over four cgroups.
    const groups = Array.from({ length: 4 }, createCgroup);
    using map = counterMap();
    using prog = track(counting(map, EGRESS, { returnValue: 1 }));
    const before = openFds();
    try {
      const links = groups.flatMap((g) => Array.from({ length: 50 }, () => attachCgroup({ path: g.path, attach: AttachType.CGroupInetEgress, program: prog })));
      expect(linksOfPrograms([prog.info().id])).toHaveLength(200);
      await closeAll(links);
      expect(links.every((l) => l.closed)).toBe(true);
      expect(linksOfPrograms([prog.info().id])).toEqual([]);
      expect(leakedSince(before)).toEqual([]);
    } finally {
      for (const g of groups) g.remove();
    }
  });

  it('cgroup2Mount is where cgroup v2 is mounted, here and on hybrid hosts', (ctx) => {
    requireRoot(ctx);
    createCgroup().remove(); // mounts cgroup2 where nothing has
    const mount = cgroup2Mount();
    expect(sys.statfs(mount).type).toBe(sys.FsMagic.Cgroup2);
    openCgroup(mount, 'test').close();
  });

  describe('bad input', () => {

    it('a closed program, a wrong program type, a non-cgroup or missing path: typed errors, nothing left', (ctx) => {
      requireRoot(ctx);
      cg = createCgroup();
      const before = openFds();
      using map = counterMap();
      const closed = counting(map, EGRESS, { returnValue: 1 });
      closed.close();
      using filter = track(counting(map, { type: ProgramType.SocketFilter }));
      using egress = track(counting(map, EGRESS, { returnValue: 1 }));
      try {
        const e1 = thrown(() => attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: closed }));
        expect(e1).toBeInstanceOf(InvalidArgumentError);
        expect(String(e1)).toMatch(/program closed/);

        const e2 = thrown(() => attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: filter }));
        expect(e2).toBeInstanceOf(SyscallError);
        expect(String(e2)).toMatch(/attach cgroup program to .*BPF_LINK_CREATE.*EINVAL/);

        const e3 = thrown(() => attachCgroup({ path: '/tmp', attach: AttachType.CGroupInetEgress, program: egress }));
        expect(e3).toBeInstanceOf(InvalidArgumentError);
        expect(String(e3)).toMatch(/\/tmp is not a cgroup v2 directory/);

        const e4 = thrown(() => attachCgroup({ path: `${cg.path}/missing`, attach: AttachType.CGroupInetEgress, program: egress }));
        expect(isNotExist(e4)).toBe(true);

        expect(thrown(() => attachCgroup({ path: '', attach: AttachType.CGroupInetEgress, program: egress }))).toBeInstanceOf(InvalidArgumentError);
        expect(thrown(() => attachCgroup(null as never))).toBeInstanceOf(InvalidArgumentError);
        expect(linksOfPrograms([egress.info().id, filter.info().id])).toEqual([]);
        map.close();
        filter.close();
        egress.close();
        expect(leakedSince(before)).toEqual([]);
      } finally {
        cg.remove();
      }
    });

    it('pins outside bpffs, over an existing pin, and a program pin loaded as a link fail clearly', (ctx) => {
      requireRoot(ctx);
      cg = createCgroup();
      using map = counterMap();
      using prog = track(counting(map, EGRESS, { returnValue: 1 }));
      try {
        using link = attachCgroup({ path: cg.path, attach: AttachType.CGroupInetEgress, program: prog }) as CgroupLink;
        const e1 = thrown(() => link.pin('/tmp/bpfkit-not-bpffs'));
        expect(e1).toBeInstanceOf(InvalidArgumentError);
        expect(String(e1)).toMatch(/not on a bpf filesystem/);
        expect(link.isPinned).toBe(false);

        const occupied = `/sys/fs/bpf/bpfkit-test-occupied-${process.pid}`;
        prog.pin(occupied);
        try {
          const e2 = thrown(() => link.pin(occupied));
          expect((e2 as SyscallError).code).toBe('EEXIST');
          expect(link.isPinned).toBe(false);
          const e3 = thrown(() => loadPinnedLink(occupied));
          expect(e3).toBeInstanceOf(InvalidArgumentError);
          expect(String(e3)).toMatch(/pinned BPF prog, not a link/);
        } finally {
          prog.unpin();
        }
      } finally {
        cg.remove();
      }
    });
  });
});

