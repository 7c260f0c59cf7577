import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@bpfkit/errors';
import { Map } from './map.js';
import { RingBuffer } from './ringbuf.js';
import { MapType } from './types.js';
import { decode, loadEvents, type Event } from './testing/events-program.js';
import { openFds } from '@bpfkit/testing';
import { getppidChild } from './testing/syscall-child.js';
import { attachTracepoint } from './testing/tracepoint.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('RingBuffer', () => {
  it('reads every record a program commits, in order, as they are triggered', async () => {
    using coll = loadEvents('to_ring', process.pid);
    using ring = new RingBuffer(coll.maps.ring!);
    using tp = attachTracepoint(coll.programs.to_ring!, 'syscalls', 'sys_enter_getppid');
    for (let i = 0; i < 10; i++) void process.ppid;
    const got: Event[] = [];
    for await (const record of ring) {
      got.push(decode(record));
      if (got.length === 10) break;
    }
    expect(got.map((e) => e.seq)).toEqual(range(10));
    expect(got.every((e) => e.tgid === process.pid)).toBe(true);
    expect(ring.pending).toBe(0);
    void tp;
  });

  it('wakes a waiting read when the kernel commits a record from another process', async () => {
    const producer = await getppidChild(3);
    using coll = loadEvents('to_ring', producer.child.pid!);
    using ring = new RingBuffer(coll.maps.ring!);
    using tp = attachTracepoint(coll.programs.to_ring!, 'syscalls', 'sys_enter_getppid');
    const first = ring.read();
    await producer.run();
    const records = [await first, await ring.read(), await ring.read()].map((r) => decode(r!));
    expect(records.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(records.every((e) => e.tgid === producer.child.pid)).toBe(true);
    void tp;
  });

  it('takes 100k records from another process complete and in order', async () => {
    const N = 100_000;
    const producer = await getppidChild(N);
    using coll = loadEvents('to_ring', producer.child.pid!);
    using ring = new RingBuffer(coll.maps.ring!);
    using tp = attachTracepoint(coll.programs.to_ring!, 'syscalls', 'sys_enter_getppid');
    const done = producer.run();
    let next = 0;
    let ordered = true;
    for await (const record of ring) {
      if (decode(record).seq !== next) ordered = false;
      if (++next === N) break;
    }
    await done;
    expect(next).toBe(N);
    expect(ordered).toBe(true);
    expect(coll.variables.ring_drops!.getBigUint()).toBe(0n);
    void tp;
  });

  it('close() ends a pending read and iteration, and leaves no descriptor or mapping open', async () => {
    using coll = loadEvents('to_ring', process.pid);
    const before = openFds();
    const ring = new RingBuffer(coll.maps.ring!);
    const pending = ring.read();
    const iteration = (async () => {
      for await (const _ of ring) return 'record';
      return 'ended';
    })();
    ring.close();
    ring.close();
    expect(await pending).toBeUndefined();
    expect(await iteration).toBe('ended');
    expect(ring.readAvailable()).toEqual([]);
    expect([...openFds().keys()].filter((fd) => !before.has(fd))).toEqual([]);
  });

  it('refuses maps that are not ring buffers', () => {
    using array = Map.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(() => new RingBuffer(array)).toThrow(InvalidArgumentError);
    array.close();
    expect(() => new RingBuffer(array)).toThrow(/open Map/);
  });
});
