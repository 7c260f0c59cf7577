import { AttachType, ProgramType, type Program } from '@bpfkit/ebpf';
import { SyscallError } from '@bpfkit/errors';
import { ifindex, withNetns } from '@bpfkit/netlink';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { head, replaceProgram } from './anchor.js';
import { attachRawLink } from './link.js';
import { rawAttachProgram, rawDetachProgram } from './program.js';
import { queryPrograms } from './query.js';
import { counterMap, counting, readCounter } from './testing/counter.js';
import { createTestNetns } from './testing/netns.js';
import { loopback, requireFeature, requireRoot } from '@bpfkit/testing';
import { localPort } from './testing/sockaddr.js';
import { leakChecks } from './testing/suite.js';

const { Sock } = sys;
/** TCX_NEXT: let the next program at the hook run too. */
const TCX_NEXT = -1;
const INGRESS = { type: ProgramType.SchedCLS, attachType: AttachType.TCXIngress } as const;

/** Sends `n` UDP datagrams to a bound socket on 127.0.0.1 in `ns`: lo ingress sees each once (and no ICMP error). */
function udpOnLoopback(ns: string, n: number): void {
  const udp = () => withNetns(ns, () => sys.socket(Sock.AF_INET, Sock.SOCK_DGRAM | Sock.SOCK_CLOEXEC, 0));
  using rx = udp();
  using tx = udp();
  sys.bind(rx.fd, loopback());
  const to = loopback(localPort(rx.fd));
  for (let i = 0; i < n; i++) sys.sendto(tx.fd, new Uint8Array([i]), 0, to);
}

describe('queryPrograms on TCX (lo of a fresh netns)', () => {
  const track = leakChecks();

  it('program IDs, link IDs and revision agree with links from attachRawLink and a PROG_ATTACH program; anchors place them', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveTCX);
    const ns = createTestNetns();
    try {
      const lo = withNetns(ns, () => ifindex('lo'));
      using map = counterMap(4);
      const progs = [0, 1, 2, 3].map((key) => track(counting(map, INGRESS, { key, returnValue: TCX_NEXT })));
      try {
        const [a, b, c, d] = progs as [Program, Program, Program, Program];
        const query = () => withNetns(ns, () => queryPrograms({ target: lo, attach: AttachType.TCXIngress }));
        const empty = query();
        expect(empty.programs).toEqual([]);

        const linkA = withNetns(ns, () => attachRawLink({ target: lo, program: a, attach: AttachType.TCXIngress }));
        const linkB = withNetns(ns, () => attachRawLink({ target: lo, program: b, attach: AttachType.TCXIngress }));
        // c goes first, without a link; d last.
        withNetns(ns, () => rawAttachProgram({ target: lo, program: c, attach: AttachType.TCXIngress, anchor: head() }));
        const linkD = withNetns(ns, () => attachRawLink({ target: lo, program: d, attach: AttachType.TCXIngress }));
        const after = query();
        expect(after.revision).toBe(empty.revision + 4n);
        expect(after.programs).toEqual([
          { id: c.info().id },
          { id: a.info().id, linkId: linkA.info().id },
          { id: b.info().id, linkId: linkB.info().id },
          { id: d.info().id, linkId: linkD.info().id },
        ]);

        udpOnLoopback(ns.path, 3);
        expect([0, 1, 2, 3].map((k) => readCounter(map, k))).toEqual([3n, 3n, 3n, 3n]);

        // A stale revision is refused; the current one is accepted.
        const stale = (() => {
          try {
            withNetns(ns, () => rawDetachProgram({ target: lo, program: c, attach: AttachType.TCXIngress, expectedRevision: after.revision - 1n }));
          } catch (err) {
            return err;
          }
          return undefined;
        })();
        expect((stale as SyscallError).code).toBe('ESTALE');
        withNetns(ns, () => rawDetachProgram({ target: lo, program: c, attach: AttachType.TCXIngress, expectedRevision: after.revision }));
        expect(query().revision).toBe(after.revision + 1n);
        linkA.close();
        expect(query()).toEqual({ revision: after.revision + 2n, programs: [{ id: b.info().id, linkId: linkB.info().id }, { id: d.info().id, linkId: linkD.info().id }] });
        linkB.close();
        expect(query().revision).toBe(after.revision + 3n);
        linkD.close();
        // The last detach frees the hook's entry: an empty hook reports its first revision again.
        expect(query()).toEqual(empty);
        udpOnLoopback(ns.path, 3);
        expect([0, 1, 2, 3].map((k) => readCounter(map, k))).toEqual([3n, 3n, 3n, 3n]);
      } finally {
        for (const p of progs) p.close();
      }
    } finally {
      ns.remove();
    }
  });

  it('replaceProgram swaps a PROG_ATTACH program in place', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, sys.haveTCX);
    const ns = createTestNetns();
    try {
      const lo = withNetns(ns, () => ifindex('lo'));
      using map = counterMap(2);
      using first = track(counting(map, INGRESS, { key: 0, returnValue: TCX_NEXT }));
      using second = track(counting(map, INGRESS, { key: 1, returnValue: TCX_NEXT }));
      withNetns(ns, () => rawAttachProgram({ target: lo, program: first, attach: AttachType.TCXIngress }));
      withNetns(ns, () => rawAttachProgram({ target: lo, program: second, attach: AttachType.TCXIngress, anchor: replaceProgram(first) }));
      const q = withNetns(ns, () => queryPrograms({ target: lo, attach: AttachType.TCXIngress }));
      expect(q.programs).toEqual([{ id: second.info().id }]);
      udpOnLoopback(ns.path, 2);
      expect([readCounter(map, 0), readCounter(map, 1)]).toEqual([0n, 2n]);
      withNetns(ns, () => rawDetachProgram({ target: lo, program: second, attach: AttachType.TCXIngress }));
      expect(withNetns(ns, () => queryPrograms({ target: lo, attach: AttachType.TCXIngress })).programs).toEqual([]);
    } finally {
      ns.remove();
    }
  });
});
