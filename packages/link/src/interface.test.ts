import { InvalidArgumentError, isNotExist, SyscallError } from '@bpfkit/errors';
import { createNetns, deleteNetns, links, Topology, withNetns } from '@bpfkit/netlink';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireRoot, thrown } from '@bpfkit/testing';
import { resolveInterface } from './interface.js';

describe('resolveInterface', () => {
  it('agrees with rtnetlink on every interface of this namespace, by name and by index', () => {
    const all = links();
    expect(all.length).toBeGreaterThan(0);
    for (const l of all) {
      expect(resolveInterface(l.name, 'test')).toBe(l.index);
      expect(resolveInterface(l.index, 'test')).toBe(l.index);
    }
  });

  it("answers for the calling thread's network namespace, as the netlink look-up did", (ctx) => {
    requireRoot(ctx);
    using topo = new Topology();
    expect(resolveInterface(topo.host.name, 'test')).toBe(topo.host.index);
    expect(isNotExist(thrown(() => resolveInterface(topo.peer.name, 'test')))).toBe(true);
    withNetns(topo.netns, () => {
      expect(resolveInterface(topo.peer.name, 'test')).toBe(topo.peer.index);
      expect(isNotExist(thrown(() => resolveInterface(topo.host.name, 'test')))).toBe(true);
    });
    const ns = createNetns();
    try {
      // A fresh namespace has only lo, at index 1.
      withNetns(ns, () => expect(links().map((l) => [l.name, resolveInterface(l.name, 'test')])).toEqual([['lo', 1]]));
    } finally {
      deleteNetns(ns);
    }
  });

  it('a missing interface is ENODEV naming it; bad input is InvalidArgumentError before any syscall; no fd is left', () => {
    const before = openFds();
    const byName = thrown(() => resolveInterface('bk-no-such-if', 'attach X'));
    expect(byName).toBeInstanceOf(SyscallError);
    expect((byName as SyscallError).code).toBe('ENODEV');
    expect(isNotExist(byName)).toBe(true);
    expect(String(byName)).toMatch(/attach X: no interface named bk-no-such-if/);
    const byIndex = thrown(() => resolveInterface(0x7fffffff, 'attach X'));
    expect((byIndex as SyscallError).code).toBe('ENODEV');
    expect(String(byIndex)).toMatch(/attach X: no interface with index 2147483647/);
    for (const bad of [0, -1, 1.5, 2 ** 31, '', 'a'.repeat(16), 'a/b', 'a\0b', null, undefined, {}] as unknown[]) {
      expect(thrown(() => resolveInterface(bad as number, 'attach X'))).toBeInstanceOf(InvalidArgumentError);
    }
    expect(leakedSince(before)).toEqual([]);
  });
});
