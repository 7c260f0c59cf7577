import { InvalidArgumentError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { asm, encode } from './asm.js';
import { counterProgram } from './counter.js';
import { Helper } from './helper.js';

const hex = (b: Uint8Array): string[] => Array.from({ length: b.length / 8 }, (_, i) => Buffer.from(b.subarray(i * 8, i * 8 + 8)).toString('hex'));

describe('asm', () => {
  it('encodes ALU64 and ALU32 ops with registers and immediates', () => {
    expect(hex(encode([
      asm.mov64('r0', 0),
      asm.mov64('r2', 'r10'),
      asm.add64('r2', -4),
      asm.sub64('r1', 'r2'),
      asm.mul32('r3', 7),
      asm.div32('r3', 'r4'),
      asm.or64('r5', 0x10),
      asm.and32('r5', 0xff),
      asm.lsh64('r6', 3),
      asm.rsh64('r6', 'r7'),
      asm.arsh32('r8', 1),
      asm.mod64('r9', 'r1'),
      asm.xor32('r0', 'r0'),
      asm.mov32('r1', -1),
      asm.neg64('r2'),
      asm.neg32('r3'),
      asm.toBE('r4', 16),
      asm.toLE('r4', 64),
    ]))).toEqual([
      'b700000000000000',
      'bfa2000000000000',
      '07020000fcffffff',
      '1f21000000000000',
      '2403000007000000',
      '3c43000000000000',
      '4705000010000000',
      '54050000ff000000',
      '6706000003000000',
      '7f76000000000000',
      'c408000001000000',
      '9f19000000000000',
      'ac00000000000000',
      'b4010000ffffffff',
      '8702000000000000',
      '8403000000000000',
      'dc04000010000000',
      'd404000040000000',
    ]);
  });

  it('encodes loads and stores of every size, and atomic add', () => {
    expect(hex(encode([
      asm.loadMem('r0', 'r1', 4, 1),
      asm.loadMem('r0', 'r1', -2, 2),
      asm.loadMem('r0', 'r1', 8, 4),
      asm.loadMem('r0', 'r1', 16, 8),
      asm.storeMem('r10', -8, 'r1', 1),
      asm.storeMem('r10', -8, 'r1', 2),
      asm.storeMem('r10', -8, 'r1', 4),
      asm.storeMem('r10', -8, 'r1', 8),
      asm.storeImm('r10', -4, 0, 4),
      asm.storeImm('r10', -8, 1, 8),
      asm.storeImm('r10', -1, 0x7f, 1),
      asm.storeImm('r10', -2, 0x1234, 2),
      asm.atomicAdd('r0', 0, 'r1', 8),
      asm.atomicAdd('r0', 4, 'r1', 4),
      asm.atomicAdd('r0', 0, 'r2', 8, { fetch: true }),
    ]))).toEqual([
      '7110040000000000',
      '6910feff00000000',
      '6110080000000000',
      '7910100000000000',
      '731af8ff00000000',
      '6b1af8ff00000000',
      '631af8ff00000000',
      '7b1af8ff00000000',
      '620afcff00000000',
      '7a0af8ff01000000',
      '720affff7f000000',
      '6a0afeff34120000',
      'db10000000000000',
      'c310040000000000',
      'db20000001000000',
    ]);
  });

  it('encodes 64-bit immediates, map fds and map values in two slots', () => {
    const map = { fd: 7 };
    expect(hex(encode([
      asm.ldImm64('r1', 0x1122334455667788n),
      asm.ldImm64('r2', -1),
      asm.ldMapFd('r1', map),
      asm.ldMapValue('r3', map, 16),
    ]))).toEqual([
      '1801000088776655', '0000000044332211',
      '18020000ffffffff', '00000000ffffffff',
      '1811000007000000', '0000000000000000',
      '1823000007000000', '0000000010000000',
    ]);
  });

  it('resolves labels forward and backward, counting two-slot instructions', () => {
    expect(hex(encode([
      asm.label('top'),
      asm.jeq('r1', 0, 'end'),
      asm.ldImm64('r2', 1),
      asm.jne('r1', 'r2', 'top'),
      asm.jgt32('r1', 5, 'end'),
      asm.ja('top'),
      asm.label('end'),
      asm.exit(),
    ]))).toEqual([
      '1501050000000000', // jeq r1, 0, +5 (to pc 6)
      '1802000001000000',
      '0000000000000000',
      '5d21fcff00000000', // jne r1, r2, -4 (to pc 0)
      '2601010005000000', // jgt32 r1, 5, +1
      '0500faff00000000', // ja -6
      '9500000000000000',
    ]);
  });

  it('encodes every conditional jump opcode', () => {
    const ops = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'] as const;
    const bytes = encode([...ops.map((op) => asm[op]('r1', 'r2', 'x')), ...ops.map((op) => asm[`${op}32`]('r1', 1, 'x')), asm.label('x'), asm.exit()]);
    const codes = hex(bytes).map((h) => h.slice(0, 2));
    expect(codes).toEqual([
      '1d', '2d', '3d', '4d', '5d', '6d', '7d', 'ad', 'bd', 'cd', 'dd',
      '16', '26', '36', '46', '56', '66', '76', 'a6', 'b6', 'c6', 'd6',
      '95',
    ]);
  });

  it('encodes helper calls by ID and by name, local calls, and exit', () => {
    expect(hex(encode([
      asm.call(Helper.MapLookupElem),
      asm.call('KtimeGetNs'),
      asm.callLocal('f'),
      asm.exit(),
      asm.label('f'),
      asm.mov64('r0', 0),
      asm.exit(),
    ]))).toEqual(['8500000001000000', '8500000005000000', '8510000001000000', '9500000000000000', 'b700000000000000', '9500000000000000']);
  });

  it('encodes the counter program byte for byte', () => {
    expect(hex(encode(counterProgram({ fd: 7 }, { returnValue: 0xffff })))).toEqual([
      '620afcff00000000', // *(u32 *)(r10 - 4) = 0
      'bfa2000000000000', // r2 = r10
      '07020000fcffffff', // r2 += -4
      '1811000007000000', // r1 = map fd 7
      '0000000000000000',
      '8500000001000000', // call map_lookup_elem
      '1500020000000000', // if r0 == 0 goto +2
      'b701000001000000', // r1 = 1
      'db10000000000000', // lock *(u64 *)(r0 + 0) += r1
      'b7000000ffff0000', // r0 = 0xffff
      '9500000000000000', // exit
    ]);
  });

  it('rejects bad input with InvalidArgumentError', () => {
    expect(() => asm.mov64('r11' as 'r1', 0)).toThrow(InvalidArgumentError);
    expect(() => asm.mov64('r1', 2 ** 33)).toThrow(/32-bit immediate/);
    expect(() => asm.loadMem('r1', 'r2', 0x8000, 4)).toThrow(/16-bit offset/);
    expect(() => asm.loadMem('r1', 'r2', 0, 3 as 4)).toThrow(InvalidArgumentError);
    expect(() => asm.atomicAdd('r1', 0, 'r2', 2 as 4)).toThrow(InvalidArgumentError);
    expect(() => asm.ldImm64('r1', 2n ** 64n)).toThrow(InvalidArgumentError);
    expect(() => asm.call('NoSuchHelper' as 'MapLookupElem')).toThrow(InvalidArgumentError);
    expect(() => encode([asm.ja('nowhere'), asm.exit()])).toThrow(/unknown label nowhere/);
    expect(() => encode([asm.label('a'), asm.label('a'), asm.exit()])).toThrow(/defined twice/);
    expect(() => encode([])).toThrow(/empty/);
    expect(() => encode([asm.ldMapFd('r1', { fd: -1 }), asm.exit()])).toThrow(/closed map/);
  });
});
