import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { isNotExist } from '@bpfkit/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, requireRoot } from '@bpfkit/testing';
import { deleteLink, links, setUp } from './link.js';
import { createNetns, deleteNetns, netnsFd, withNetns } from './netns.js';
import { ownLeftovers, testIfname, testNetnsName } from './testing/leftovers.js';
import { createVeth } from './veth.js';

const currentInode = () => statSync('/proc/thread-self/ns/net').ino;
const ipNetnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]);

afterAll(() => {
  if (isRoot) expect(ownLeftovers()).toEqual({ links: [], netns: [] });
});

describe('createNetns / deleteNetns', () => {
  it('pins a fresh namespace that ip netns sees, without moving the calling thread', (ctx) => {
    requireRoot(ctx);
    const home = currentInode();
    const ns = createNetns();
    try {
      expect(currentInode()).toBe(home);
      expect(ns.name).toMatch(new RegExp(`^bpfkit-${process.pid}-\\d+$`));
      expect(ns.path).toBe(`/run/netns/${ns.name}`);
      expect(ipNetnsList()).toContain(ns.name);
      expect(ns.inode).not.toBe(home);
      expect(ns.inode).toBe(statSync(ns.path).ino);
      const inside = JSON.parse(execFileSync('ip', ['-n', ns.name, '-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[];
      expect(inside.map((l) => l.ifname)).toEqual(['lo']);
    } finally {
      deleteNetns(ns);
    }
    expect(ns.fd).toBe(-1);
    expect(ipNetnsList()).not.toContain(ns.name);
  });

  it('a taken name throws EEXIST and leaves the existing pin alone', (ctx) => {
    requireRoot(ctx);
    const ns = createNetns(testNetnsName());
    try {
      expect(() => createNetns(ns.name)).toThrow(expect.objectContaining({ name: 'SyscallError', code: 'EEXIST', hint: `${ns.path} already exists` }));
      expect(statSync(ns.path).ino).toBe(ns.inode);
    } finally {
      deleteNetns(ns);
    }
  });

  it('deleting twice throws ENOENT, which isNotExist recognises', (ctx) => {
    requireRoot(ctx);
    const name = testNetnsName();
    createNetns(name).close();
    deleteNetns(name);
    let err: unknown;
    try {
      deleteNetns(name);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'SyscallError', code: 'ENOENT', message: expect.stringMatching(new RegExp(`^delete netns ${name}: umount2`)) });
    expect(isNotExist(err)).toBe(true);
  });

  it('works with namespaces made by ip netns add', (ctx) => {
    requireRoot(ctx);
    const name = testNetnsName();
    execFileSync('ip', ['netns', 'add', name]);
    try {
      expect(withNetns(name, () => links().map((l) => l.name))).toEqual(['lo']);
    } finally {
      deleteNetns(name);
    }
    expect(ipNetnsList()).not.toContain(name);
  });

  it.each(['', '.', '..', 'a/b', 'x'.repeat(256), 7])('rejects the name %j before any side effect', (name) => {
    expect(() => createNetns(name as string)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => deleteNetns(name as string)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});

describe('withNetns', () => {
  it('runs fn inside and restores the thread on return', (ctx) => {
    requireRoot(ctx);
    const home = currentInode();
    const ns = createNetns();
    // A device only the home namespace has: the answer tells which namespace the thread was in.
    const a = testIfname();
    const b = testIfname();
    createVeth(a, b);
    try {
      const seen = withNetns(ns, () => {
        setUp('lo');
        return { inode: currentInode(), names: links().map((l) => l.name) };
      });
      expect(seen).toEqual({ inode: ns.inode, names: ['lo'] });
      expect(currentInode()).toBe(home);
      expect(links().map((l) => l.name)).toEqual(expect.arrayContaining(['lo', a, b]));
    } finally {
      deleteLink(a);
      deleteNetns(ns);
    }
  });

  it('restores the thread when fn throws, and rethrows the same error', (ctx) => {
    requireRoot(ctx);
    const home = currentInode();
    const ns = createNetns();
    try {
      const boom = new Error('boom');
      let insideInode = 0;
      expect(() =>
        withNetns(ns, () => {
          insideInode = currentInode();
          throw boom;
        }),
      ).toThrow(boom);
      expect(insideInode).toBe(ns.inode);
      expect(currentInode()).toBe(home);
    } finally {
      deleteNetns(ns);
    }
  });

  it('nests: the inner call restores to the outer namespace', (ctx) => {
    requireRoot(ctx);
    const home = currentInode();
    const a = createNetns();
    const b = createNetns();
    try {
      const trail = withNetns(a, () => {
        const inner = withNetns(b, currentInode);
        return [inner, currentInode()];
      });
      expect(trail).toEqual([b.inode, a.inode]);
      expect(currentInode()).toBe(home);
    } finally {
      deleteNetns(a);
      deleteNetns(b);
    }
  });

  it('refuses an async fn (after restoring) instead of running its continuation in the wrong namespace', async (ctx) => {
    requireRoot(ctx);
    const home = currentInode();
    const ns = createNetns();
    try {
      expect(() => withNetns(ns, async () => currentInode())).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'fn' }));
      expect(() => withNetns(ns, () => Promise.reject(new Error('late')))).toThrow(/returned a Promise/);
      expect(currentInode()).toBe(home);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      deleteNetns(ns);
    }
  });

  it('accepts a Netns, an FD, a raw fd, a name and a path; rejects closed and bogus ones', (ctx) => {
    requireRoot(ctx);
    const ns = createNetns();
    try {
      using fd = netnsFd(ns.name);
      for (const ref of [ns, fd, fd.fd, ns.name, ns.path]) expect(withNetns(ref, currentInode)).toBe(ns.inode);
      const closed = netnsFd(ns.path);
      closed.close();
      expect(() => withNetns(closed, currentInode)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'netns' }));
      expect(() => withNetns(-1, currentInode)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
      expect(() => withNetns({} as never, currentInode)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
      expect(() => withNetns(ns, 'nope' as never)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'fn' }));
    } finally {
      deleteNetns(ns);
    }
  });
});

describe('netnsFd', () => {
  it('opens by pid, path and name', (ctx) => {
    requireRoot(ctx);
    using byPid = netnsFd(process.pid);
    using byPath = netnsFd('/proc/self/ns/net');
    expect(withNetns(byPid, currentInode)).toBe(statSync('/proc/self/ns/net').ino);
    expect(withNetns(byPath, currentInode)).toBe(statSync('/proc/self/ns/net').ino);
  });

  it('rejects files that are not network namespaces, and reports missing ones as ENOENT', (ctx) => {
    requireRoot(ctx);
    expect(() => netnsFd('/etc/hostname')).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', message: expect.stringContaining('not a namespace file') }));
    expect(() => netnsFd('/proc/self/ns/mnt')).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', message: expect.stringContaining('not a network namespace') }));
    const missing = testNetnsName();
    expect(() => netnsFd(missing)).toThrow(expect.objectContaining({ name: 'SyscallError', code: 'ENOENT', message: expect.stringContaining(`/run/netns/${missing}`) }));
    expect(() => netnsFd(0x3fffffff)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it.each([0, -5, 1.5, '', '..', null])('rejects %j', (ref) => {
    expect(() => netnsFd(ref as string)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});
