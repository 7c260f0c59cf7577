import { describe, expect, it } from 'vitest';
import { checkFdLeaks, loopback, readCounter, requireFeature, requireRoot } from '@bpfkit/testing';
import { progQuery } from './attach.js';
import { AttachFlags, AttachType, LinkType, MapType, ProgType, Sock } from './constants.js';
import { haveBPFLink, haveTCX } from './features.js';
import { linkInfo, progInfo } from './info.js';
import { bind, getsockname, gettid, sendto } from './libc.js';
import { linkCreate, linkDetach, linkUpdate, rawTracepointOpen } from './link.js';
import { mapCreate, mapLookupElem } from './map.js';
import { linkGetFdById, linkGetNextId } from './obj.js';
import { progLoad } from './prog.js';
import { socket } from './socket.js';
import { counterInsns, RETURN_ZERO } from './testing/kernel.js';

const LO = 1;

/** Sends `n` UDP datagrams over loopback to a bound socket of our own. */
function sendLoopback(n: number): void {
  using rx = socket(Sock.AF_INET, Sock.SOCK_DGRAM | Sock.SOCK_CLOEXEC, 0);
  using tx = socket(Sock.AF_INET, Sock.SOCK_DGRAM | Sock.SOCK_CLOEXEC, 0);
  bind(rx.fd, loopback());
  const addr = new Uint8Array(16);
  getsockname(rx.fd, addr);
  for (let i = 0; i < n; i++) sendto(tx.fd, new Uint8Array([i]), 0, addr);
}

describe('bpf links on the real kernel', () => {
  checkFdLeaks();

  it('TCX: LINK_CREATE on lo counts packets; query, info, update, detach behave', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, haveTCX);
    using map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
    // TCX_NEXT (-1): let the next program (or the stack) decide.
    using prog = progLoad({ progType: ProgType.SchedCLS, insns: counterInsns(map.fd, -1), license: 'GPL', expectedAttachType: AttachType.TCXIngress });
    using other = progLoad({ progType: ProgType.SchedCLS, insns: RETURN_ZERO, license: 'GPL', expectedAttachType: AttachType.TCXIngress });
    const count = () => readCounter((k, v) => mapLookupElem(map.fd, k, v));

    using link = linkCreate({ kind: 'tcx', progFd: prog.fd, targetIfindex: LO, attachType: AttachType.TCXIngress });
    sendLoopback(4);
    // Each datagram crosses lo once on ingress.
    expect(count()).toBeGreaterThanOrEqual(4n);

    const info = linkInfo(link.fd);
    expect(info.type).toBe(LinkType.TCX);
    expect(info.tcx).toEqual({ ifindex: LO, attachType: AttachType.TCXIngress });
    expect(info.progId).toBe(progInfo(prog.fd).id);

    const ids = new Uint32Array(16);
    const linkIds = new Uint32Array(16);
    const q = progQuery({ targetFd: LO, attachType: AttachType.TCXIngress, progIds: ids, linkIds });
    expect(q.count).toBeGreaterThanOrEqual(1);
    expect(q.revision).toBeGreaterThan(0n);
    expect([...linkIds.subarray(0, q.count)]).toContain(info.id);

    using again = linkGetFdById(info.id);
    expect(linkInfo(again.fd).id).toBe(info.id);
    const all: number[] = [];
    for (let id = linkGetNextId(0); id !== undefined; id = linkGetNextId(id)) all.push(id);
    expect(all).toContain(info.id);

    // Replacing with the wrong old program fails; with the right one it swaps.
    expect(() => linkUpdate({ linkFd: link.fd, newProgFd: other.fd, oldProgFd: other.fd, flags: AttachFlags.Replace })).toThrow(
      expect.objectContaining({ code: 'EPERM' }),
    );
    linkUpdate({ linkFd: link.fd, newProgFd: other.fd, oldProgFd: prog.fd, flags: AttachFlags.Replace });
    expect(linkInfo(link.fd).progId).toBe(progInfo(other.fd).id);
    const afterSwap = count();
    sendLoopback(3);
    expect(count()).toBe(afterSwap);

    linkUpdate({ linkFd: link.fd, newProgFd: prog.fd });
    linkDetach(link.fd);
    const afterDetach = count();
    sendLoopback(3);
    expect(count()).toBe(afterDetach);
  });

  it('raw tracepoint: RAW_TRACEPOINT_OPEN on sys_enter counts this thread\'s syscalls until closed', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, haveBPFLink);
    using map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
    using prog = progLoad({ progType: ProgType.RawTracepoint, insns: counterInsns(map.fd), license: 'GPL' });
    const count = () => readCounter((k, v) => mapLookupElem(map.fd, k, v));
    const link = rawTracepointOpen({ name: 'sys_enter', progFd: prog.fd });
    const before = count();
    for (let i = 0; i < 10; i++) gettid();
    // Every system call on the machine fires sys_enter: at least our ten.
    expect(count() - before).toBeGreaterThanOrEqual(10n);
    const info = linkInfo(link.fd);
    expect(info.type).toBe(LinkType.RawTracepoint);
    expect(info.rawTracepoint?.name).toBe('sys_enter');
    link.close();
    const closed = count();
    for (let i = 0; i < 10; i++) gettid();
    expect(count()).toBe(closed);
  });

  it('LINK_CREATE on a missing interface: XDP says EINVAL, a bad program fd EBADF', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, haveBPFLink);
    using prog = progLoad({ progType: ProgType.XDP, insns: RETURN_ZERO, license: 'GPL', expectedAttachType: AttachType.XDP });
    expect(() => linkCreate({ progFd: prog.fd, targetIfindex: 999_999, attachType: AttachType.XDP })).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'bpf(BPF_LINK_CREATE)' }),
    );
    expect(() => linkCreate({ progFd: 999_999, targetIfindex: LO, attachType: AttachType.XDP })).toThrow(
      expect.objectContaining({ code: 'EBADF' }),
    );
  });

  it('LINK_CREATE on a missing interface: TCX says ENODEV', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, haveTCX);
    using prog = progLoad({ progType: ProgType.SchedCLS, insns: RETURN_ZERO, license: 'GPL' });
    expect(() => linkCreate({ kind: 'tcx', progFd: prog.fd, targetIfindex: 999_999, attachType: AttachType.TCXIngress })).toThrow(
      expect.objectContaining({ code: 'ENODEV', syscall: 'bpf(BPF_LINK_CREATE)' }),
    );
  });
});
