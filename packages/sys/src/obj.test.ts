import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@bpfkit/errors';
import { checkFdLeaks, requireRoot } from '@bpfkit/testing';
import { MapType } from './constants.js';
import { mapInfo } from './info.js';
import { mapCreate } from './map.js';
import { bpfObjectKind, encodeIdAttr, encodeInfoAttr, encodeObjAttr, objGet, pin, unpin } from './obj.js';
import { layout } from './testing/kernel.js';

describe('object command layouts', () => {
  it('OBJ_PIN/OBJ_GET: pathname @0, bpf_fd @8, file_flags @12, path_fd @16 (24 bytes)', () => {
    expect(encodeObjAttr({ pathname: 0xabcn, bpfFd: 5, fileFlags: 8, pathFd: -100 })).toEqual(
      layout(24, [
        [0, 8, 0xabcn],
        [8, 4, 5],
        [12, 4, 8],
        [16, 4, -100],
      ]),
    );
  });
  it('OBJ_GET_INFO_BY_FD: bpf_fd @0, info_len @4, info @8 (16 bytes)', () => {
    expect(encodeInfoAttr({ bpfFd: 3, infoLen: 232, info: 0x1000n })).toEqual(
      layout(16, [
        [0, 4, 3],
        [4, 4, 232],
        [8, 8, 0x1000n],
      ]),
    );
  });
  it('*_GET_FD_BY_ID / *_GET_NEXT_ID: id @0, next_id @4, open_flags @8', () => {
    expect(encodeIdAttr({ id: 7, nextId: 8, openFlags: 1 })).toEqual(
      layout(12, [
        [0, 4, 7],
        [4, 4, 8],
        [8, 4, 1],
      ]),
    );
  });
});

describe('pinning on the real kernel', () => {
  checkFdLeaks();
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync('/sys/fs/bpf/bpfkit-pin-test-');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('pin() pins, moves an existing pin without overwriting, and unpin() removes it', (ctx) => {
    requireRoot(ctx);
    using map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
    const id = mapInfo(map.fd).id;
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    pin(undefined, a, map.fd);
    expect(existsSync(a)).toBe(true);
    pin(a, a, map.fd); // same path: a no-op
    pin(a, b, map.fd);
    expect(existsSync(a)).toBe(false);
    {
      using got = objGet(b);
      expect(mapInfo(got.fd).id).toBe(id);
    }
    // Moving onto an existing file refuses (RENAME_NOREPLACE) and leaves both in place.
    pin(undefined, a, map.fd);
    expect(() => pin(a, b, map.fd)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(existsSync(a) && existsSync(b)).toBe(true);
    // The old pin vanished behind our back: pin afresh.
    unpin(a);
    const c = join(dir, 'c');
    pin(a, c, map.fd);
    expect(existsSync(c)).toBe(true);
    unpin(b);
    unpin(c);
    unpin(c); // a missing pin is not an error
    expect(existsSync(b) || existsSync(c)).toBe(false);
  });

  it('tells what kind of object an fd is', (ctx) => {
    requireRoot(ctx);
    using map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(bpfObjectKind(map.fd)).toBe('map');
    expect(bpfObjectKind(0)).toBeUndefined();
    expect(bpfObjectKind(987654)).toBeUndefined();
  });

  it('refuses paths outside a bpf filesystem, and empty paths, without leaving anything', (ctx) => {
    requireRoot(ctx);
    using map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
    const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-'));
    try {
      expect(() => pin(undefined, join(tmp, 'x'), map.fd)).toThrow(/not on a bpf filesystem/);
      expect(existsSync(join(tmp, 'x'))).toBe(false);
      expect(() => pin(undefined, '', map.fd)).toThrow(InvalidArgumentError);
      writeFileSync(join(tmp, 'plain'), 'x');
      expect(() => objGet(join(tmp, 'plain'))).toThrow(expect.objectContaining({ syscall: 'bpf(BPF_OBJ_GET)' }));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
