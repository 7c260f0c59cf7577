import { Readable } from 'node:stream';
import { findKernelType } from '@bpfkit/btf';
import { asm, AttachType, Helper, Map as BpfMap, MapType, Program, ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { leakedSince, openFds, requireFeature, requireRoot, thrown } from '@bpfkit/testing';
import { probeAttachKind } from './features.js';
import { attachIter, Iter, IterReader } from './iter.js';
import { checkLinkConformance } from './testing/conformance.js';
import { counterMap, counting } from './testing/counter.js';
import { linksOfPrograms } from './testing/leaks.js';
import { leakChecks } from './testing/suite.js';

const ITER = { type: ProgramType.Tracing, attachType: AttachType.TraceIter, attachTo: 'bpf_map' } as const;

/** Byte offset of `member` in a kernel struct, from vmlinux BTF. */
function memberOffset(struct: string, member: string): number {
  const { spec, typeId } = findKernelType(struct, 'STRUCT');
  const m = spec.members(typeId).find((x) => x.name === member);
  if (m === undefined || m.bitOffset % 8 !== 0) throw new Error(`struct ${struct} has no byte-aligned member ${member}`);
  return m.bitOffset / 8;
}

/**
 * A bpf_map iterator that writes each map's u32 id to the seq file. Its context is
 * struct bpf_iter__bpf_map { meta; map } (two pointers); meta->seq is meta's first member.
 * The last call has map == NULL.
 */
function mapIdWriter(): Program {
  const idOffset = memberOffset('bpf_map', 'id');
  return Program.load({
    ...ITER,
    name: 'bpfkit_map_ids',
    license: 'GPL',
    instructions: [
      asm.loadMem('r2', 'r1', 8, 8),
      asm.jeq('r2', 0, 'out'),
      asm.loadMem('r3', 'r2', idOffset, 4),
      asm.storeMem('r10', -8, 'r3', 4),
      asm.loadMem('r1', 'r1', 0, 8),
      asm.loadMem('r1', 'r1', 0, 8),
      asm.mov64('r2', 'r10'),
      asm.add64('r2', -8),
      asm.mov64('r3', 4),
      asm.call(Helper.SeqWrite),
      asm.label('out'),
      asm.mov64('r0', 0),
      asm.exit(),
    ],
  });
}

function silent(): Program {
  return Program.load({ ...ITER, name: 'bpfkit_iter_nop', license: 'GPL', instructions: [asm.mov64('r0', 0), asm.exit()] });
}

function ids(out: Buffer): number[] {
  expect(out.length % 4).toBe(0);
  return Array.from({ length: out.length / 4 }, (_, i) => out.readUInt32LE(i * 4));
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('attachIter on the real kernel', () => {
  const track = leakChecks();

  it("a bpf_map iterator lists the IDs of the test's maps; stream() gives the same bytes; closed links cannot open", async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('iter'));
    using prog = track(mapIdWriter());
    const maps = Array.from({ length: 3 }, () => BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 }));
    try {
      const mine = maps.map((m) => m.info().id);
      const link = attachIter({ program: prog });
      expect(link).toBeInstanceOf(Iter);
      const reader = link.open();
      expect(reader).toBeInstanceOf(IterReader);
      const all = reader.readAll();
      expect(reader.fd).toBe(-1);
      expect(ids(all)).toEqual(expect.arrayContaining(mine));
      // Each open() is a new run over the maps that exist then.
      const gone = maps.pop()!;
      gone.close();
      const again = ids(link.open().readAll());
      expect(again).toEqual(expect.arrayContaining(maps.map((m) => m.info().id)));
      expect(again).not.toContain(mine[2]);

      // Other processes may make maps between runs: compare what the runs say about ours.
      const ours = (list: number[]) => list.filter((id) => mine.includes(id));
      const streamed = ids(await drain(link.open().stream()));
      expect(ours(streamed)).toEqual(ours(again));
      link.close();
      expect(String(thrown(() => link.open()))).toMatch(/cannot open iterator: (iterator )?link closed/);
    } finally {
      for (const m of maps) m.close();
    }
  });

  it('an iterator that writes nothing reads 0 bytes, by readAll and by stream', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('iter'));
    using prog = track(silent());
    using link = attachIter({ program: prog });
    expect(link.open().readAll().length).toBe(0);
    expect((await drain(link.open().stream())).length).toBe(0);
    const reader = link.open();
    reader.close();
    reader.close();
    expect(thrown(() => reader.readAll())).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => reader.stream())).toBeInstanceOf(InvalidArgumentError);
  });

  it('passes the conformance checks', async (ctx) => {
    requireRoot(ctx);
    await requireFeature(ctx, () => probeAttachKind('iter'));
    using prog = track(silent());
    using replacement = track(mapIdWriter());
    await checkLinkConformance({
      program: prog,
      replacement,
      attach: () => attachIter({ program: prog }),
      checkInfo: (info) => expect(info.iter).toBeDefined(),
    });
  });

  it('a closed program, a wrong program type, a closed map, no options: typed errors before any syscall, nothing left', (ctx) => {
    requireRoot(ctx);
    const before = openFds();
    const closed = silent();
    closed.close();
    const e1 = thrown(() => attachIter({ program: closed }));
    expect(e1).toBeInstanceOf(InvalidArgumentError);
    expect(String(e1)).toMatch(/attach iterator: program closed/);

    using map = counterMap();
    using filter = track(counting(map, { type: ProgramType.SocketFilter }));
    const e2 = thrown(() => attachIter({ program: filter }));
    expect(e2).toBeInstanceOf(InvalidArgumentError);
    expect(String(e2)).toMatch(/attach iterator: needs a Tracing program/);

    using prog = track(silent());
    const closedMap = counterMap();
    closedMap.close();
    const e3 = thrown(() => attachIter({ program: prog, map: closedMap }));
    expect(e3).toBeInstanceOf(InvalidArgumentError);
    expect(String(e3)).toMatch(/attach iterator: map closed/);

    expect(thrown(() => attachIter(null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(linksOfPrograms([prog.info().id, filter.info().id])).toEqual([]);
    map.close();
    filter.close();
    prog.close();
    expect(leakedSince(before)).toEqual([]);
  });
});
