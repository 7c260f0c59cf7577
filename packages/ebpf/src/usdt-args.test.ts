import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '@bpfkit/testing';
import { asm, type Instruction } from './asm.js';
import { Helper } from './helper.js';
import { Program } from './program.js';
import { ProgramType } from './types.js';
import { usdtArgument, type UsdtArgumentSpec } from './usdt-args.js';

const arg = (size: number, location: string): UsdtArgumentSpec => ({ size: Math.abs(size), signed: size < 0, location });
const x86 = (spec: UsdtArgumentSpec, opts = {}): Instruction[] => usdtArgument([spec], 0, { arch: 'x86_64', ...opts });
const arm = (spec: UsdtArgumentSpec): Instruction[] => usdtArgument([spec], 0, { arch: 'arm64' });
const probeRead = (size: number, dst = 'r0' as const) => [
  asm.mov64('r1', 'r10'),
  asm.add64('r1', -8),
  asm.mov64('r2', size),
  asm.call(Helper.ProbeReadUser),
  asm.loadMem(dst, 'r10', -8, size as 1 | 2 | 4 | 8),
];

describe('usdtArgument', () => {
  it('reads x86_64 registers from pt_regs, extending 32-bit arguments as their sign says', () => {
    expect(x86(arg(-4, '%edi'))).toEqual([asm.loadMem('r0', 'r1', 112, 8), asm.lsh64('r0', 32), asm.arsh64('r0', 32)]);
    expect(x86(arg(4, '%esi'))).toEqual([asm.loadMem('r0', 'r1', 104, 8), asm.lsh64('r0', 32), asm.rsh64('r0', 32)]);
    expect(x86(arg(8, '%rax'))).toEqual([asm.loadMem('r0', 'r1', 80, 8)]);
    expect(x86(arg(1, '%r9b'), { ctx: 'r6', dst: 'r7' })).toEqual([asm.loadMem('r7', 'r6', 64, 8), asm.lsh64('r7', 56), asm.rsh64('r7', 56)]);
    expect(x86(arg(-2, '%r15w'))).toEqual([asm.loadMem('r0', 'r1', 0, 8), asm.lsh64('r0', 48), asm.arsh64('r0', 48)]);
  });

  it('reads x86_64 memory operands with bpf_probe_read_user into a zeroed stack slot', () => {
    expect(x86(arg(8, '-8(%rbp)'))).toEqual([asm.storeImm('r10', -8, 0, 8), asm.loadMem('r3', 'r1', 32, 8), asm.add64('r3', -8), ...probeRead(8)]);
    expect(x86(arg(-4, '(%rsp)'))).toEqual([
      asm.storeImm('r10', -8, 0, 8),
      asm.loadMem('r3', 'r1', 152, 8),
      ...probeRead(4),
      asm.lsh64('r0', 32),
      asm.arsh64('r0', 32),
    ]);
    expect(x86(arg(8, '16(%rax,%rcx,4)'))).toEqual([
      asm.storeImm('r10', -8, 0, 8),
      asm.loadMem('r3', 'r1', 80, 8),
      asm.loadMem('r2', 'r1', 88, 8),
      asm.mul64('r2', 4),
      asm.add64('r3', 'r2'),
      asm.add64('r3', 16),
      ...probeRead(8),
    ]);
  });

  it('turns constants into immediates of the argument size', () => {
    expect(x86(arg(-4, '$-1'))).toEqual([asm.ldImm64('r0', -1n)]);
    expect(x86(arg(4, '$-1'))).toEqual([asm.ldImm64('r0', 0xffffffffn)]);
    expect(x86(arg(8, '$0x10'))).toEqual([asm.ldImm64('r0', 16n)]);
    expect(arm(arg(-4, '5'))).toEqual([asm.ldImm64('r0', 5n)]);
  });

  it('reads arm64 registers and [reg, off] operands from user_pt_regs', () => {
    expect(arm(arg(-4, 'x0'))).toEqual([asm.loadMem('r0', 'r1', 0, 8), asm.lsh64('r0', 32), asm.arsh64('r0', 32)]);
    expect(arm(arg(8, 'x30'))).toEqual([asm.loadMem('r0', 'r1', 240, 8)]);
    expect(arm(arg(8, 'sp'))).toEqual([asm.loadMem('r0', 'r1', 248, 8)]);
    expect(arm(arg(8, '[sp, 12]'))).toEqual([asm.storeImm('r10', -8, 0, 8), asm.loadMem('r3', 'r1', 248, 8), asm.add64('r3', 12), ...probeRead(8)]);
    expect(arm(arg(4, '[x1]'))).toEqual([asm.storeImm('r10', -8, 0, 8), asm.loadMem('r3', 'r1', 8, 8), ...probeRead(4), asm.lsh64('r0', 32), asm.rsh64('r0', 32)]);
  });

  it('refuses what it cannot read, naming the operand', () => {
    expect(() => x86(arg(4, '%ah'))).toThrow(InvalidArgumentError);
    expect(() => x86(arg(4, '%xmm0'))).toThrow(/xmm0 is not a x86_64 register/);
    expect(() => x86(arg(4, 'counter(%rip)'))).toThrow(NotSupportedError);
    expect(() => arm(arg(4, 'x31'))).toThrow(InvalidArgumentError);
    expect(() => arm(arg(4, '%edi'))).toThrow(/not an operand form/);
    expect(() => x86(arg(3, '%edi'))).toThrow(/size 3/);
    expect(() => usdtArgument([arg(4, '%edi')], 1, { arch: 'x86_64' })).toThrow(/has 1 argument/);
    expect(() => usdtArgument('x' as never, 0)).toThrow(InvalidArgumentError);
    expect(() => x86(arg(4, '%edi'), { stackOffset: 0 })).toThrow(/stackOffset/);
  });

  it('the kernel verifier accepts each form in a Kprobe program', (ctx) => {
    requireRoot(ctx);
    const arch = process.arch === 'arm64' ? 'arm64' : 'x86_64';
    const specs = arch === 'x86_64' ? [arg(-4, '%edi'), arg(8, '-8(%rsp)'), arg(8, '8(%rsp,%rax,8)'), arg(-4, '$3')] : [arg(-4, 'x0'), arg(8, '[sp, 8]'), arg(-4, '3')];
    for (let i = 0; i < specs.length; i++) {
      const prog = Program.load({
        type: ProgramType.Kprobe,
        license: 'GPL',
        instructions: [asm.mov64('r6', 'r1'), ...usdtArgument(specs, i, { ctx: 'r6', dst: 'r7', arch }), asm.mov64('r0', 0), asm.exit()],
      });
      prog.close();
    }
  });
});
