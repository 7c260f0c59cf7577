import { execFileSync } from 'node:child_process';
import { openSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { FD, onFinalizedFD } from './fd.js';
import { MapType } from './constants.js';
import { mapCreate } from './map.js';
import { requireRoot } from '@bpfkit/testing';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.cjs');

const isOpen = (fd: number) => {
  try {
    readlinkSync(`/proc/self/fd/${fd}`);
    return true;
  } catch {
    return false;
  }
};

describe('FD', () => {
  it('close is idempotent and fd reads -1 afterwards', () => {
    const raw = openSync('/dev/null', 'r');
    const fd = new FD(raw);
    expect(fd.fd).toBe(raw);
    fd.close();
    expect(fd.fd).toBe(-1);
    expect(fd.closed).toBe(true);
    expect(isOpen(raw)).toBe(false);
    expect(() => fd.close()).not.toThrow();
  });

  it('dup gives an independent descriptor; a closed FD cannot be duplicated', () => {
    using a = new FD(openSync('/dev/null', 'r'));
    const b = a.dup();
    expect(b.fd).not.toBe(a.fd);
    expect(readlinkSync(`/proc/self/fd/${b.fd}`)).toBe('/dev/null');
    b.close();
    expect(isOpen(a.fd)).toBe(true);
    expect(() => b.dup()).toThrow(SyscallError);
    expect(() => b.dup()).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('using disposes', () => {
    let raw = -1;
    {
      using fd = new FD(openSync('/dev/null', 'r'));
      raw = fd.fd;
      expect(isOpen(raw)).toBe(true);
    }
    expect(isOpen(raw)).toBe(false);
  });

  it('fd 0 is moved to a descriptor >= 1 (the BPF ABI reads 0 as "none")', () => {
    // In a child process: this one's fd 0 belongs to the test runner.
    const script = `
      const fs = require('node:fs');
      const { FD } = require(${JSON.stringify(DIST)});
      fs.closeSync(0);
      const raw = fs.openSync('/dev/null', 'r');
      const fd = new FD(raw);
      let zeroOpen = true;
      try { fs.fstatSync(0); } catch { zeroOpen = false; }
      console.log(JSON.stringify({ raw, fd: fd.fd, target: fs.readlinkSync('/proc/self/fd/' + fd.fd), zeroOpen }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    expect(out.raw).toBe(0);
    expect(out.fd).toBeGreaterThan(0);
    expect(out.target).toBe('/dev/null');
    expect(out.zeroOpen).toBe(false);
  });

  it('rejects negative and non-integer descriptors', () => {
    expect(() => new FD(-1)).toThrow(InvalidArgumentError);
    expect(() => new FD(1.5)).toThrow(InvalidArgumentError);
  });

  it('disown hands the raw descriptor over without closing it', () => {
    const fd = new FD(openSync('/dev/null', 'r'));
    const raw = fd.disown();
    expect(fd.fd).toBe(-1);
    expect(isOpen(raw)).toBe(true);
    new FD(raw).close();
    expect(isOpen(raw)).toBe(false);
  });

  it('closeAsync closes on the thread pool: closed at once, gone once the promise settles', async () => {
    const fd = new FD(openSync('/dev/null', 'r'));
    const raw = fd.fd;
    const done = fd.closeAsync();
    expect(fd.fd).toBe(-1);
    fd.close();
    await done;
    expect(isOpen(raw)).toBe(false);
    await fd.closeAsync();
  });

  it('a dropped FD is closed by the finalizer (the fd disappears from /proc/self/fd)', async (ctx) => {
    requireRoot(ctx);
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'tests run with --expose-gc').toBeTypeOf('function');
    const finalized: number[] = [];
    onFinalizedFD((fd) => finalized.push(fd));
    try {
      let raw = -1;
      (() => {
        const map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
        raw = map.fd;
      })();
      expect(readlinkSync(`/proc/self/fd/${raw}`)).toBe('anon_inode:bpf-map');
      for (let i = 0; i < 50 && !finalized.includes(raw); i++) {
        gc!();
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(finalized).toContain(raw);
      expect(isOpen(raw)).toBe(false);
    } finally {
      onFinalizedFD(undefined);
    }
  });
});
