import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { isNotSupported, SyscallError } from '@bpfkit/errors';
import type { Program } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import { collectGarbage } from '@bpfkit/testing';
import { expect } from 'vitest';
import type { LinkInfo } from '../info.js';
import { iterateLinks } from '../iterator.js';
import { RawLink, type Link } from '../link.js';
import { loadPinnedLink, newFromFD } from '../wrap.js';

export interface ConformanceOptions {
  /** Makes a new link of the kind under test, attached with `program`. Called several times. */
  attach: () => Link;
  /** The program `attach` attaches. */
  program: Pick<Program, 'fd' | 'type' | 'info'>;
  /** What `update` swaps in (default: `program`). */
  replacement?: Pick<Program, 'fd' | 'type'>;
  /** The kind's own info checks (e.g. `info.xdp.ifindex` is the interface attached to). */
  checkInfo?: (info: LinkInfo) => void;
}

function expectNotSupported(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isNotSupported(thrown), `expected NotSupportedError, got ${String(thrown)}`).toBe(true);
}

/** The link IDs that are alive now. */
function liveLinkIds(): Set<number> {
  const ids = new Set<number>();
  for (const l of iterateLinks()) {
    ids.add(l.info().id);
    l.close();
  }
  return ids;
}

/**
 * Waits (bounded) until link `id` is gone. An unpinned link's bpffs inode is freed after an RCU
 * grace period, and with it the pin's reference: the link may outlive close() by that long.
 */
async function linkGone(id: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!liveLinkIds().has(id)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

function isOpenFd(fd: number): boolean {
  return existsSync(`/proc/self/fd/${fd}`);
}

/**
 * cilium's testLink and more, for every link kind: info matches the program; pin and
 * loadPinnedLink round-trip to the same kind and info (and bad open flags give EINVAL); unpin;
 * update works or is NotSupportedError, update(null) throws; newFromFD of a duplicate gives the same
 * kind; detach works or is NotSupportedError; close twice is harmless; `using` disposes; a
 * dropped link is closed by the finalizer.
 */
export async function checkLinkConformance(opts: ConformanceOptions): Promise<void> {
  const programId = opts.program.info().id;
  const link = opts.attach();
  const hasFd = link.fd >= 0;
  expect(link.closed).toBe(false);
  expect(link.isPinned).toBe(false);

  // info
  let info: LinkInfo | undefined;
  if (hasFd) {
    info = link.info();
    expect(info.type).not.toBe(0);
    expect(info.id).toBeGreaterThan(0);
    expect(info.program).toBe(programId);
    opts.checkInfo?.(info);
  } else {
    expectNotSupported(() => link.info());
  }

  // pin -> loadPinnedLink -> unpin
  const dir = mkdtempSync('/sys/fs/bpf/bpfkit-conformance-');
  try {
    const path = `${dir}/link`;
    if (!hasFd) {
      expectNotSupported(() => link.pin(path));
    } else {
      link.pin(path);
      expect(link.isPinned).toBe(true);
      expect(existsSync(path)).toBe(true);
      const pinned = loadPinnedLink(path);
      try {
        if (!(link.constructor === RawLink)) expect(pinned.constructor).toBe(link.constructor);
        expect(pinned.isPinned).toBe(true);
        expect(pinned.info()).toMatchObject({ type: info!.type, id: info!.id, program: programId });
      } finally {
        pinned.close();
      }
      let badFlags: unknown;
      try {
        loadPinnedLink(path, { flags: 0xffffffff }).close();
      } catch (err) {
        badFlags = err;
      }
      expect(badFlags).toBeInstanceOf(SyscallError);
      expect((badFlags as SyscallError).code).toBe('EINVAL');
      // Pinning again moves the pin.
      const moved = `${dir}/moved`;
      link.pin(moved);
      expect(existsSync(path)).toBe(false);
      expect(existsSync(moved)).toBe(true);
      link.unpin();
      expect(link.isPinned).toBe(false);
      expect(existsSync(moved)).toBe(false);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // update
  try {
    link.update(opts.replacement ?? opts.program);
  } catch (err) {
    if (!isNotSupported(err)) throw err;
  }
  expect(() => link.update(null as never)).toThrow();

  // newFromFD of a duplicate
  if (hasFd) {
    const dup = sys.dupFd(link.fd);
    const again = newFromFD(dup);
    try {
      if (!(link.constructor === RawLink)) expect(again.constructor).toBe(link.constructor);
      expect(again.fd).toBe(dup);
      expect(again.info().id).toBe(info!.id);
    } finally {
      again.close();
    }
    expect(isOpenFd(dup)).toBe(false);
  }

  // detach: the link stays open, defunct
  try {
    link.detach();
    expect(link.closed).toBe(false);
  } catch (err) {
    if (!isNotSupported(err)) throw err;
  }

  // close twice
  const raw = link.fd;
  link.close();
  expect(link.closed).toBe(true);
  expect(link.fd).toBe(-1);
  link.close();
  await link.closeAsync();
  if (raw >= 0) expect(isOpenFd(raw)).toBe(false);
  if (info) expect(await linkGone(info.id), 'the closed link is gone').toBe(true);

  // `using` disposes
  let usedId = 0;
  let usedFd = -1;
  {
    using used = opts.attach();
    usedFd = used.fd;
    if (hasFd) usedId = used.info().id;
  }
  if (hasFd) {
    expect(isOpenFd(usedFd)).toBe(false);
    expect(liveLinkIds().has(usedId)).toBe(false);
  }

  // a dropped link is closed by the finalizer (kinds without a link fd outlive GC by design)
  if (hasFd) {
    let droppedId = 0;
    let droppedFd = -1;
    (() => {
      const dropped = opts.attach();
      droppedFd = dropped.fd;
      droppedId = dropped.info().id;
    })();
    await collectGarbage(() => !liveLinkIds().has(droppedId), 20);
    expect(liveLinkIds().has(droppedId), 'the finalizer closed the dropped link').toBe(false);
    // The number may have been reused since, but not by that link.
    if (sys.bpfObjectKind(droppedFd) === 'link') expect(sys.linkInfo(droppedFd).id).not.toBe(droppedId);
  }
}
