import { describe, expect, it } from 'vitest';
import { checkFdLeaks, requireRoot } from '@bpfkit/testing';
import { MapType, UpdateFlags } from './constants.js';
import { mapInfo } from './info.js';
import {
  encodeMapCreateAttr,
  encodeMapElemAttr,
  mapCreate,
  mapDeleteElem,
  mapFreeze,
  mapGetNextKey,
  mapLookupElem,
  mapUpdateElem,
} from './map.js';
import { layout } from './testing/kernel.js';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);

describe('map command layouts', () => {
  it('MAP_CREATE: type @0, sizes @4/@8, max_entries @12, flags @16, inner @20, numa @24, name @28, ifindex @44, btf @48..@60, extra @64', () => {
    const attr = encodeMapCreateAttr({
      mapType: 26,
      keySize: 4,
      valueSize: 24,
      maxEntries: 1,
      mapFlags: 1 << 13,
      innerMapFd: 9,
      numaNode: 1,
      mapName: 'ops',
      mapIfindex: 2,
      btfFd: 3,
      btfKeyTypeId: 4,
      btfValueTypeId: 5,
      btfVmlinuxValueTypeId: 6,
      mapExtra: 7n,
    });
    const want = layout(80, [
      [0, 4, 26],
      [4, 4, 4],
      [8, 4, 24],
      [12, 4, 1],
      [16, 4, 1 << 13],
      [20, 4, 9],
      [24, 4, 1],
      [44, 4, 2],
      [48, 4, 3],
      [52, 4, 4],
      [56, 4, 5],
      [60, 4, 6],
      [64, 8, 7n],
    ]);
    want.set([0x6f, 0x70, 0x73], 28);
    expect(attr).toEqual(want);
  });

  it('element commands: map_fd @0, key @8, value/next_key @16, flags @24', () => {
    expect(encodeMapElemAttr({ mapFd: 3, key: 0x10n, value: 0x20n, flags: 2 })).toEqual(
      layout(32, [
        [0, 4, 3],
        [8, 8, 0x10n],
        [16, 8, 0x20n],
        [24, 8, 2],
      ]),
    );
  });
});

describe('maps on the real kernel', () => {
  checkFdLeaks();

  it('creates a hash map and does create/read/update/delete and iteration', (ctx) => {
    requireRoot(ctx);
    using map = mapCreate({ mapType: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 16, mapName: 'bpfkit_hash' });
    const info = mapInfo(map.fd);
    expect(info).toMatchObject({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 16, name: 'bpfkit_hash' });

    for (let k = 1; k <= 5; k++) mapUpdateElem(map.fd, u32(k), u64(BigInt(k * 100)));
    const value = new Uint8Array(8);
    expect(mapLookupElem(map.fd, u32(3), value)).toBe(true);
    expect(value).toEqual(u64(300n));
    expect(mapLookupElem(map.fd, u32(42), value)).toBe(false);

    expect(() => mapUpdateElem(map.fd, u32(3), u64(1n), UpdateFlags.NoExist)).toThrow(
      expect.objectContaining({ code: 'EEXIST' }),
    );
    expect(() => mapUpdateElem(map.fd, u32(9), u64(1n), UpdateFlags.Exist)).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );

    mapDeleteElem(map.fd, u32(2));
    expect(() => mapDeleteElem(map.fd, u32(2))).toThrow(expect.objectContaining({ code: 'ENOENT' }));

    const keys: number[] = [];
    const next = new Uint8Array(4);
    for (let key: Uint8Array | null = null; mapGetNextKey(map.fd, key, next); key = next.slice()) {
      keys.push(new DataView(next.buffer).getUint32(0, true));
    }
    expect(keys.sort()).toEqual([1, 3, 4, 5]);
  });

  it('a frozen map refuses writes from user space', (ctx) => {
    requireRoot(ctx);
    using map = mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
    mapUpdateElem(map.fd, u32(0), u64(1n));
    mapFreeze(map.fd);
    expect(() => mapUpdateElem(map.fd, u32(0), u64(2n))).toThrow(expect.objectContaining({ code: 'EPERM' }));
  });

  it('bad parameters are kernel errors that name the command', (ctx) => {
    requireRoot(ctx);
    expect(() => mapCreate({ mapType: MapType.Array, keySize: 0, valueSize: 8, maxEntries: 1 })).toThrow(
      /bpf\(BPF_MAP_CREATE\): EINVAL/,
    );
    expect(() => mapLookupElem(987654, u32(0), new Uint8Array(8))).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 8, maxEntries: -1 })).toThrow(
      /invalid maxEntries/,
    );
  });
});
