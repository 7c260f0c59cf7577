import { findKernelType, Kind } from '@bpfkit/btf';
import { InvalidArgumentError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { requireFeature, requireRoot } from '@bpfkit/testing';
import { asm } from './asm.js';
import { Map } from './map.js';
import { Program } from './program.js';
import { structOpsValue } from './struct-ops.js';
import { MapType, ProgramType } from './types.js';

const EPERM = 1;
const EINVAL = 22;
const RET0 = [asm.mov64('r0', 0), asm.exit()];

/** Byte offset of a member of tcp_congestion_ops inside bpf_struct_ops_tcp_congestion_ops, read from kernel BTF. */
function offsetOf(member: string): number {
  const { spec, typeId } = findKernelType('bpf_struct_ops_tcp_congestion_ops', Kind.Struct);
  const data = spec.members(typeId).find((m) => m.name === 'data')!;
  return (data.bitOffset + spec.members(data.type).find((m) => m.name === member)!.bitOffset) / 8;
}

describe('structOpsValue', () => {
  it('lays out bpf_struct_ops_tcp_congestion_ops: the size the kernel sizes the map with, fds and fields at their offsets', (ctx) => {
    requireRoot(ctx);
    using map = Map.create({ type: MapType.StructOpsMap, structOps: 'tcp_congestion_ops' });
    const value = structOpsValue({ structOps: 'tcp_congestion_ops', programs: { cong_avoid: { fd: 1234 } }, fields: { name: 'bk_layout', flags: 1 } });
    expect(value.byteLength).toBe(map.valueSize);
    const view = new DataView(value.buffer);
    expect(view.getBigUint64(offsetOf('cong_avoid'), true)).toBe(1234n);
    expect(new TextDecoder().decode(value.subarray(offsetOf('name'), offsetOf('name') + 9))).toBe('bk_layout');
    expect(value[offsetOf('name') + 9]).toBe(0);
    expect(view.getUint32(offsetOf('flags'), true)).toBe(1);
    expect(value.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0)).toBe(2 + 9 + 1);
  });

  it('the kernel accepts the value: a lookup gives back the name and, at the callback, the program ID', async (ctx) => {
    requireRoot(ctx);
    let prog: Program | undefined;
    let map: Map | undefined;
    await requireFeature(ctx, () => {
      try {
        prog = Program.load({ type: ProgramType.StructOps, attachTo: 'tcp_congestion_ops:cong_avoid', instructions: RET0, license: 'GPL' });
        // A link map registers nothing until attached; older kernels (< 6.4) refuse the flag.
        map = Map.create({ type: MapType.StructOpsMap, structOps: 'tcp_congestion_ops', flags: sys.MapFlags.Link });
      } catch (err) {
        prog?.close();
        if (err instanceof SyscallError && err.errno === EPERM) throw new NotSupportedError('struct_ops programs', { refusal: 'loads refused with EPERM', cause: err });
        if (err instanceof SyscallError && err.errno === EINVAL) throw new NotSupportedError('struct_ops maps with BPF_F_LINK', { minimumKernel: '6.4', cause: err });
        throw err;
      }
    });
    try {
      const ssthresh = Program.load({ type: ProgramType.StructOps, attachTo: 'tcp_congestion_ops:ssthresh', instructions: [asm.mov64('r0', 2), asm.exit()], license: 'GPL' });
      const undo = Program.load({ type: ProgramType.StructOps, attachTo: 'tcp_congestion_ops:undo_cwnd', instructions: [asm.mov64('r0', 2), asm.exit()], license: 'GPL' });
      try {
        map!.update(0, structOpsValue({ structOps: 'tcp_congestion_ops', programs: { cong_avoid: prog!, ssthresh, undo_cwnd: undo }, fields: { name: `bk_${process.pid}` } }));
        const back = map!.lookup(0)!;
        const view = new DataView(back.buffer);
        expect(view.getBigUint64(offsetOf('cong_avoid'), true)).toBe(BigInt(prog!.info().id));
        expect(view.getBigUint64(offsetOf('ssthresh'), true)).toBe(BigInt(ssthresh.info().id));
        expect(new TextDecoder().decode(back.subarray(offsetOf('name'), offsetOf('name') + `bk_${process.pid}`.length))).toBe(`bk_${process.pid}`);
      } finally {
        ssthresh.close();
        undo.close();
      }
    } finally {
      map!.close();
      prog!.close();
    }
  });

  it('rejects members that do not exist or are of the other kind, values that do not fit, unknown structs', (ctx) => {
    requireRoot(ctx);
    const v = (o: Partial<Parameters<typeof structOpsValue>[0]>) => () => structOpsValue({ structOps: 'tcp_congestion_ops', programs: {}, ...o });
    expect(v({ programs: { nope: { fd: 3 } } })).toThrow(/struct tcp_congestion_ops has no member nope/);
    expect(v({ programs: { flags: { fd: 3 } } })).toThrow(/tcp_congestion_ops\.flags is not a callback/);
    expect(v({ programs: { cong_avoid: { fd: -1 } } })).toThrow(/cong_avoid: expected an open Program/);
    expect(v({ fields: { init: 0 } })).toThrow(/init is a callback/);
    expect(v({ fields: { flags: 2 ** 32 } })).toThrow(/does not fit in 4 bytes/);
    expect(v({ fields: { name: 'sixteen_chars_xx' } })).toThrow(/does not fit in char\[16\]/);
    expect(v({ fields: { name: new Uint8Array(17) } })).toThrow(/17 bytes do not fit in 16/);
    expect(v({ programs: null as never })).toThrow(InvalidArgumentError);
    expect(v({ structOps: '' })).toThrow(InvalidArgumentError);
    expect(v({ structOps: 'no_such_ops' })).toThrow(expect.objectContaining({ name: 'SymbolNotFoundError' }));
  });
});
