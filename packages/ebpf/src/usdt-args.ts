import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';
import { asm, type Instruction, type Register, type Size } from './asm.js';
import { Helper } from './helper.js';

/** One USDT argument as `@bpfkit/elf`'s `UsdtProbe.args` gives it: `-4@%edi` is `{ size: 4, signed: true, location: '%edi' }`. */
export interface UsdtArgumentSpec {
  readonly size: number;
  readonly signed: boolean;
  readonly location: string;
}

/** The architectures whose operand syntax and pt_regs layout `usdtArgument` knows. */
export type UsdtArch = 'x86_64' | 'arm64';

export interface UsdtArgumentOptions {
  /** The register holding the program's context, `struct pt_regs *` (default r1, as the program starts). */
  ctx?: Register;
  /** Where the value goes (default r0). */
  dst?: Register;
  /** An 8-byte stack slot below r10 for memory operands (default -8). */
  stackOffset?: number;
  /** Default: the architecture Node runs on. */
  arch?: UsdtArch;
}

// struct pt_regs (arch/x86/include/uapi/asm/ptrace.h), as a uprobe program's context sees it.
const X86_REGS: Record<string, number> = {};
for (const [off, names] of [
  [0, 'r15 r15d r15w r15b'], [8, 'r14 r14d r14w r14b'], [16, 'r13 r13d r13w r13b'], [24, 'r12 r12d r12w r12b'],
  [32, 'rbp ebp bp bpl'], [40, 'rbx ebx bx bl'], [48, 'r11 r11d r11w r11b'], [56, 'r10 r10d r10w r10b'],
  [64, 'r9 r9d r9w r9b'], [72, 'r8 r8d r8w r8b'], [80, 'rax eax ax al'], [88, 'rcx ecx cx cl'],
  [96, 'rdx edx dx dl'], [104, 'rsi esi si sil'], [112, 'rdi edi di dil'], [128, 'rip eip'], [152, 'rsp esp sp spl'],
] as const) {
  for (const n of names.split(' ')) X86_REGS[n] = off;
}

/** struct user_pt_regs (arch/arm64/include/uapi/asm/ptrace.h): x0..x30, sp, pc. */
function arm64Reg(name: string): number | undefined {
  if (name === 'sp') return 248;
  const m = /^[xw](\d+)$/.exec(name);
  const n = m ? Number(m[1]) : NaN;
  return n >= 0 && n <= 30 ? n * 8 : undefined;
}

type Operand =
  | { kind: 'const'; value: bigint }
  | { kind: 'reg'; off: number }
  | { kind: 'mem'; base: number; disp: bigint; index?: number; scale?: number };

function parseOperand(location: string, arch: UsdtArch): Operand {
  const bad = (why: string) => new InvalidArgumentError('location', `USDT argument '${location}': ${why}`);
  const reg = (name: string): number => {
    const off = arch === 'x86_64' ? X86_REGS[name] : arm64Reg(name);
    if (off === undefined) throw bad(`${name} is not a ${arch} register a uprobe can read`);
    return off;
  };
  let m: RegExpExecArray | null;
  if (arch === 'x86_64') {
    if ((m = /^\$(-?(?:0x[0-9a-f]+|\d+))$/i.exec(location))) return { kind: 'const', value: BigInt.asUintN(64, parse(m[1]!)) };
    if ((m = /^%(\w+)$/.exec(location))) return { kind: 'reg', off: reg(m[1]!) };
    if ((m = /^(-?(?:0x[0-9a-f]+|\d+))?\(%(\w+)(?:,%(\w+)(?:,([1248]))?)?\)$/i.exec(location))) {
      if (m[2] === 'rip') throw new NotSupportedError(`USDT argument '${location}'`, { detail: 'RIP-relative operands (globals) need the runtime load address of the file' });
      return {
        kind: 'mem',
        base: reg(m[2]!),
        disp: m[1] === undefined ? 0n : parse(m[1]),
        ...(m[3] === undefined ? {} : { index: reg(m[3]), scale: Number(m[4] ?? 1) }),
      };
    }
    if (/\(%rip\)$/.test(location)) throw new NotSupportedError(`USDT argument '${location}'`, { detail: 'RIP-relative operands (globals) need the runtime load address of the file' });
  } else {
    if ((m = /^(-?(?:0x[0-9a-f]+|\d+))$/i.exec(location))) return { kind: 'const', value: BigInt.asUintN(64, parse(m[1]!)) };
    if ((m = /^(\w+)$/.exec(location))) return { kind: 'reg', off: reg(m[1]!) };
    if ((m = /^\[(\w+)(?:,\s*#?(-?(?:0x[0-9a-f]+|\d+)))?\]$/i.exec(location))) {
      return { kind: 'mem', base: reg(m[1]!), disp: m[2] === undefined ? 0n : parse(m[2]) };
    }
  }
  throw bad(`not an operand form usdtArgument knows for ${arch}`);
}

function parse(text: string): bigint {
  const neg = text.startsWith('-');
  const v = BigInt(neg ? text.slice(1) : text);
  return neg ? -v : v;
}

function defaultArch(): UsdtArch {
  if (process.arch === 'x64') return 'x86_64';
  if (process.arch === 'arm64') return 'arm64';
  throw new NotSupportedError(`USDT arguments on ${process.arch}`, { detail: 'usdtArgument knows x86_64 and arm64; pass options.arch' });
}

/**
 * Instructions that load USDT argument `index` (0-based, as libbpf's bpf_usdt_arg) of a probe
 * into `dst`, sign- or zero-extended to 64 bits as its spec says. Registers are read from the
 * pt_regs context; memory operands are read with bpf_probe_read_user (5.5), which clobbers r0-r5
 * (keep the context in r6-r9 if the program needs it afterwards). Constants become an immediate.
 */
export function usdtArgument(args: readonly UsdtArgumentSpec[], index: number, options: UsdtArgumentOptions = {}): Instruction[] {
  if (!Array.isArray(args)) throw new InvalidArgumentError('args', 'expected the argument specs of a USDT probe (UsdtProbe.args)');
  if (!Number.isInteger(index) || index < 0 || index >= args.length) {
    throw new InvalidArgumentError('index', `the probe has ${args.length} argument(s); ${String(index)} is not one of them (0-based)`);
  }
  const spec = args[index]!;
  if (![1, 2, 4, 8].includes(spec.size)) throw new InvalidArgumentError('size', `USDT argument ${index} has size ${spec.size}, not 1, 2, 4 or 8`);
  const ctx = options.ctx ?? 'r1';
  const dst = options.dst ?? 'r0';
  const slot = options.stackOffset ?? -8;
  if (!Number.isInteger(slot) || slot > -8 || slot < -512) throw new InvalidArgumentError('stackOffset', `${slot} is not an 8-byte slot below r10 (-8..-512)`);
  const op = parseOperand(spec.location, options.arch ?? defaultArch());
  const out: Instruction[] = [];
  switch (op.kind) {
    case 'const': {
      const bits = 8 * spec.size;
      const v = spec.signed ? BigInt.asIntN(bits, op.value) : BigInt.asUintN(bits, op.value);
      return [asm.ldImm64(dst, v)];
    }
    case 'reg':
      out.push(asm.loadMem(dst, ctx, op.off, 8));
      break;
    case 'mem':
      out.push(asm.storeImm('r10', slot, 0, 8), asm.loadMem('r3', ctx, op.base, 8));
      if (op.index !== undefined) {
        out.push(asm.loadMem('r2', ctx, op.index, 8), asm.mul64('r2', op.scale!), asm.add64('r3', 'r2'));
      }
      if (op.disp !== 0n) {
        if (op.disp >= -0x80000000n && op.disp <= 0x7fffffffn) out.push(asm.add64('r3', Number(op.disp)));
        else out.push(asm.ldImm64('r2', op.disp), asm.add64('r3', 'r2'));
      }
      out.push(
        asm.mov64('r1', 'r10'),
        asm.add64('r1', slot),
        asm.mov64('r2', spec.size),
        asm.call(Helper.ProbeReadUser),
        asm.loadMem(dst, 'r10', slot, spec.size as Size),
      );
      break;
  }
  const shift = 64 - 8 * spec.size;
  if (shift > 0) {
    out.push(asm.lsh64(dst, shift), spec.signed ? asm.arsh64(dst, shift) : asm.rsh64(dst, shift));
  }
  return out;
}
