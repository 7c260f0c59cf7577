import { BtfBuilder, Linkage } from '@bpfkit/btf';
import { asm, counterProgram, Program, ProgramType, type ProgramBTF } from '@bpfkit/ebpf';
import { attachFreplace } from '@bpfkit/link';
import { counted, kind, type Counted } from './kind.js';

const name = 'freplace';
const XDP_PASS = 2;
/** An Ethernet frame's worth of zeros: enough input for an XDP test run. */
const PACKET = new Uint8Array(64);

/** BTF for `main(struct xdp_md *)` (when `subprogAt` is given) and the global `replace_me(struct xdp_md *)`. */
function xdpBTF(subprogAt?: number): ProgramBTF {
  const b = new BtfBuilder();
  const proto = b.funcProto(b.int('int', 4, { signed: true }), [{ name: 'ctx', type: b.ptr(b.struct('xdp_md', 0, [])) }]);
  const first = b.func(subprogAt === undefined ? 'replace_me' : 'main', proto, Linkage.Global);
  const funcInfo = [{ insnOffset: 0, typeId: first }];
  if (subprogAt !== undefined) funcInfo.push({ insnOffset: subprogAt, typeId: b.func('replace_me', proto, Linkage.Global) });
  return { data: b.encode(), funcInfo };
}

/**
 * An XDP program that returns what its global function replace_me returns; the counting
 * Extension replaces that function, and each BPF_PROG_TEST_RUN of the XDP program runs it.
 */
export const freplace = kind<Counted & { target: Program }>({
  name,
  feature: name,
  needs: ['attachFreplace'],
  hook: 'the global function replace_me of a demo XDP program, run with BPF_PROG_TEST_RUN',
  setup(env) {
    const map = env.counter(name);
    const target = env.own(
      `${name} target program`,
      Program.load({
        type: ProgramType.XDP,
        name: env.name('target'),
        license: 'GPL',
        btf: xdpBTF(2),
        instructions: [asm.callLocal('replace_me'), asm.exit(), asm.label('replace_me'), asm.mov64('r0', XDP_PASS), asm.exit()],
      }),
    );
    const extension = env.own(
      `${name} program`,
      Program.load({
        type: ProgramType.Extension,
        name: env.name(name),
        license: 'GPL',
        attachTarget: target,
        attachTo: 'replace_me',
        btf: xdpBTF(),
        instructions: counterProgram(map, { returnValue: XDP_PASS }),
      }),
    );
    const link = env.own(`${name} link`, attachFreplace(target, 'replace_me', extension));
    return { ...counted(link, map), target };
  },
  trigger(state) {
    state.target.testRun({ data: PACKET, repeat: 2 });
  },
});
