import { BtfBuilder, Linkage } from '@bpfkit/btf';
import { asm, Program, ProgramType, type ProgramBTF } from '@bpfkit/ebpf';

export const XDP_PASS = 2;
export const XDP_DROP = 1;

/**
 * BTF for `main(struct xdp_md *)` at insn 0 and the global `replace_me(struct xdp_md *)` at
 * `subprogAt`: a global function whose argument is the context, which freplace may replace.
 */
function xdpBTF(subprogAt?: number): ProgramBTF {
  const b = new BtfBuilder();
  const proto = b.funcProto(b.int('int', 4, { signed: true }), [{ name: 'ctx', type: b.ptr(b.struct('xdp_md', 0, [])) }]);
  const main = b.func(subprogAt === undefined ? 'replace_me' : 'main', proto, Linkage.Global);
  const funcInfo = [{ insnOffset: 0, typeId: main }];
  if (subprogAt !== undefined) funcInfo.push({ insnOffset: subprogAt, typeId: b.func('replace_me', proto, Linkage.Global) });
  return { data: b.encode(), funcInfo };
}

/** An XDP program whose result is what its global function replace_me returns (XDP_PASS). */
export function xdpWithGlobalFunction(): Program {
  return Program.load({
    type: ProgramType.XDP,
    name: 'freplace_tgt',
    license: 'GPL',
    btf: xdpBTF(2),
    instructions: [asm.callLocal('replace_me'), asm.exit(), asm.label('replace_me'), asm.mov64('r0', XDP_PASS), asm.exit()],
  });
}

/** An Extension for `target`'s replace_me, returning `returnValue`. */
export function replacement(target: Program, returnValue: number): Program {
  return Program.load({
    type: ProgramType.Extension,
    name: 'freplace_ext',
    license: 'GPL',
    attachTarget: target,
    attachTo: 'replace_me',
    btf: xdpBTF(),
    instructions: [asm.mov64('r0', returnValue), asm.exit()],
  });
}
