import { execFileSync } from 'node:child_process';
import { sendto } from '@bpfkit/sys';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, requireRoot } from '@bpfkit/testing';
import { NlmFlags, RtmType } from './constants.js';
import { decodeLink, deleteLink, dumpLinksRequest, getLinkRequest } from './link.js';
import { encodeIfinfomsg, encodeMessage } from './message.js';
import { createNetns, deleteNetns, withNetns } from './netns.js';
import { RtnlSocket, withRtnl } from './socket.js';
import { ownLeftovers, testIfname } from './testing/leftovers.js';
import { createVeth } from './veth.js';

afterAll(() => {
  if (isRoot) expect(ownLeftovers()).toEqual({ links: [], netns: [] });
});

describe('RtnlSocket', () => {
  it('collects a dump spread over many datagrams (> 32 KiB) up to NLMSG_DONE, and grows a small buffer to fit', (ctx) => {
    requireRoot(ctx);
    const ns = createNetns();
    try {
      const names = withNetns(ns, () => {
        for (let i = 0; i < 60; i++) createVeth(`a${i}`, `b${i}`);
        const msgs = withRtnl((rtnl) => rtnl.dump(dumpLinksRequest()));
        const total = msgs.reduce((n, m) => n + 16 + m.payload.byteLength, 0);
        // The kernel caps one dump datagram at 32 KiB, so this many bytes took several.
        expect(total).toBeGreaterThan(64 * 1024);
        const small = new RtnlSocket({ receiveBufferSize: 64 });
        try {
          expect(small.dump(dumpLinksRequest()).map((m) => decodeLink(m).name)).toEqual(msgs.map((m) => decodeLink(m).name));
        } finally {
          small.close();
        }
        return msgs.map((m) => decodeLink(m).name).sort();
      });
      const ip = (JSON.parse(execFileSync('ip', ['-n', ns.name, '-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((l) => l.ifname).sort();
      expect(names).toHaveLength(121);
      expect(names).toEqual(ip);
    } finally {
      deleteNetns(ns);
    }
  });

  it('drops replies to an earlier sequence number', (ctx) => {
    requireRoot(ctx);
    // A link of our own besides lo: a VM may have no other.
    const name = testIfname();
    const other = createVeth(name, testIfname());
    const rtnl = new RtnlSocket();
    try {
      // An unread reply (and ack) for ifindex 1 sits in the queue before the next request's.
      const stale = getLinkRequest(1);
      sendto(rtnl.fd, encodeMessage({ type: stale.type, flags: NlmFlags.REQUEST | NlmFlags.ACK, seq: 12345, pid: 0 }, stale.header, stale.attrs));
      const replies = rtnl.request(getLinkRequest(other)).filter((m) => m.type === RtmType.NEWLINK);
      expect(replies.map((m) => decodeLink(m))).toEqual([expect.objectContaining({ index: other, name })]);
    } finally {
      rtnl.close();
      deleteLink(name);
    }
    expect(rtnl.fd).toBe(-1);
  });

  it('turns NLMSG_ERROR into SyscallError with the extended-ack text (strict checking is on)', (ctx) => {
    requireRoot(ctx);
    // With NETLINK_GET_STRICT_CHK a link dump may not filter by index; without it the kernel ignores the field.
    const bad = { type: RtmType.GETLINK, header: encodeIfinfomsg({ index: 1 }), context: 'dump with an index' };
    let err: unknown;
    try {
      withRtnl((rtnl) => rtnl.dump(bad));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'SyscallError', code: 'EINVAL', syscall: 'netlink(RTM_GETLINK)' });
    expect((err as { hint?: string }).hint).toBe('Filter by device index not supported for link dumps');
    expect((err as Error).message).toMatch(/^dump with an index: netlink\(RTM_GETLINK\): EINVAL \(invalid argument\) \(.+\)$/);
  });
});
