import { existsSync } from 'node:fs';
import { InvalidArgumentError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import { BtfBuilder } from '@bpfkit/btf';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { collectGarbage, expectNoFdLeak, openFds, requireRoot } from '@bpfkit/testing';
import { Map, MapUpdateFlags, possibleCPUs } from './map.js';
import { Program } from './program.js';
import { asm } from './asm.js';
import { MapType, ProgramType } from './types.js';

const pinPath = (what: string) => `/sys/fs/bpf/bpfkit-ebpf-test-${process.pid}-${what}`;

describe('Map (real kernel)', () => {
  it('creates, updates, looks up and deletes', (ctx) => {
    requireRoot(ctx);
    using m = Map.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 16, name: 'crud-test!' });
    expect(m.name).toBe('crudtest');
    expect(m.info()).toMatchObject({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 16, name: 'crudtest' });
    expect(m.lookup(1)).toBeUndefined();
    m.updateU64(1, 42n);
    expect(m.lookupU64(1)).toBe(42n);
    m.update(new Uint8Array([2, 0, 0, 0]), new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]));
    expect(m.lookup(2)).toEqual(new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]));
    expect(() => m.updateU64(1, 5n, MapUpdateFlags.NoExist)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => m.updateU64(3, 5n, MapUpdateFlags.Exist)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    m.delete(1);
    expect(m.lookupU64(1)).toBeUndefined();
    expect(() => m.delete(1)).toThrow(SyscallError);
    expect(() => m.delete(1)).toThrow(/ENOENT/);
  });

  it('creates a map described by BTF', (ctx) => {
    requireRoot(ctx);
    const b = new BtfBuilder();
    const key = b.int('unsigned int', 4);
    const value = b.int('unsigned long long', 8);
    using m = Map.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, btf: { data: b.encode(), keyTypeId: key, valueTypeId: value } });
    const info = m.info();
    expect(info.btfId).toBeGreaterThan(0);
    expect(info).toMatchObject({ btfKeyTypeId: key, btfValueTypeId: value });
    expectNoFdLeak(() => Map.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, btf: { data: b.encode(), keyTypeId: value, valueTypeId: value } }));
    expect(() => Map.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, btf: { data: b.encode(), keyTypeId: value, valueTypeId: value } })).toThrow(SyscallError);
  });

  it('iterates keys and entries', (ctx) => {
    requireRoot(ctx);
    using m = Map.create({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 64 });
    for (let i = 0; i < 20; i++) m.updateU32(i, i * 10);
    const keys = [...m.keys()].map((k) => new DataView(k.buffer).getUint32(0, true)).sort((a, b) => a - b);
    expect(keys).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const entries = [...m.entries()].map(([k, v]) => [new DataView(k.buffer).getUint32(0, true), new DataView(v.buffer).getUint32(0, true)]);
    expect(entries.every(([k, v]) => v === k! * 10)).toBe(true);
    expect([...m].length).toBe(20);
    using empty = Map.create({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect([...empty.keys()]).toEqual([]);
  });

  it('reads every CPU of a per-CPU array', (ctx) => {
    requireRoot(ctx);
    using m = Map.create({ type: MapType.PerCPUArray, keySize: 4, valueSize: 4, maxEntries: 1 });
    const values = m.lookupPerCPU(0)!;
    expect(values.length).toBe(possibleCPUs());
    expect(values.every((v) => v.length === 4)).toBe(true);
    expect(m.lookupSize).toBe(8 * possibleCPUs());
  });

  it('pins, reloads by path and by ID, and unpins', (ctx) => {
    requireRoot(ctx);
    const path = pinPath('map');
    using m = Map.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
    m.updateU64(0, 99n);
    m.pin(path);
    expect(m.pinnedPath).toBe(path);
    try {
      using again = Map.loadPinned(path);
      expect(again.info().id).toBe(m.info().id);
      expect(again.lookupU64(0)).toBe(99n);
      expect(again.pinnedPath).toBe(path);
      using byId = Map.fromID(m.info().id);
      expect(byId.keySize).toBe(4);
      expect(byId.lookupU64(0)).toBe(99n);
      using clone = m.clone();
      expect(clone.fd).not.toBe(m.fd);
      const moved = pinPath('map-moved');
      m.pin(moved);
      expect(existsSync(path)).toBe(false);
      expect(existsSync(moved)).toBe(true);
    } finally {
      m.unpin();
    }
    expect(existsSync(path)).toBe(false);
    expect(m.pinnedPath).toBeUndefined();
  });

  it('wraps a raw fd and takes ownership only on success', (ctx) => {
    requireRoot(ctx);
    const m = Map.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 2 });
    const fd = sys.mapGetFdById(m.info().id).disown();
    const wrapped = Map.fromFD(fd);
    expect(wrapped.maxEntries).toBe(2);
    wrapped.close();
    expect(openFds().has(fd)).toBe(false);
    m.close();
    expect(() => Map.fromFD(0)).toThrow(InvalidArgumentError); // stdin is not a map
    expect(openFds().has(0)).toBe(true);
  });

  it('creates a struct_ops map with the vmlinux value type', (ctx) => {
    requireRoot(ctx);
    using m = Map.create({ type: MapType.StructOpsMap, structOps: 'tcp_congestion_ops', name: 'ops' });
    const info = m.info();
    expect(info.type).toBe(MapType.StructOpsMap);
    expect(info.btfVmlinuxValueTypeId).toBeGreaterThan(0);
    expect(info.valueSize).toBe(m.valueSize);
    expect(() => Map.create({ type: MapType.StructOpsMap, structOps: 'no_such_ops' })).toThrow(SymbolNotFoundError);
  });

  it('leaks no fd on any error path', (ctx) => {
    requireRoot(ctx);
    expectNoFdLeak(() => Map.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 0 }));
    expect(() => Map.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 0 })).toThrow(/create map .*EINVAL/);
    expectNoFdLeak(() => Map.create({ type: MapType.Hash, keySize: 4, valueSize: 8 } as never));
    expect(() => Map.create({ type: MapType.Hash, keySize: 4, valueSize: 8 } as never)).toThrow(InvalidArgumentError);
    expectNoFdLeak(() => Map.create({ type: MapType.StructOpsMap, structOps: 'tcp_congestion_ops', valueSize: 3 }));
    expectNoFdLeak(() => Map.loadPinned(pinPath('missing')));
    expect(() => Map.loadPinned(pinPath('missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expectNoFdLeak(() => Map.fromID(0x7ffffff0));
    expect(() => Map.fromID(0x7ffffff0)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    // A pinned program is not a map.
    const path = pinPath('prog-not-map');
    using p = Program.load({ type: ProgramType.SocketFilter, instructions: [asm.mov64('r0', 0), asm.exit()], license: 'GPL' });
    p.pin(path);
    try {
      expectNoFdLeak(() => Map.loadPinned(path));
      expect(() => Map.loadPinned(path)).toThrow(/not a map/);
    } finally {
      p.unpin();
    }
    using m = Map.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
    expect(() => m.lookup(new Uint8Array(3))).toThrow(InvalidArgumentError);
    expect(() => m.update(0, new Uint8Array(4))).toThrow(InvalidArgumentError);
    expect(() => m.lookupU32(0)).toThrow(InvalidArgumentError);
    m.close();
    m.close();
    expect(m.fd).toBe(-1);
    expect(() => m.lookup(0)).toThrow(/closed/);
  });

  it('is closed by the finalizer when dropped', async (ctx) => {
    requireRoot(ctx);
    let fd = -1;
    (() => {
      fd = Map.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 }).fd;
    })();
    expect(openFds().get(fd)).toBe('anon_inode:bpf-map');
    await collectGarbage();
    expect(openFds().get(fd)).not.toBe('anon_inode:bpf-map');
  });
});
