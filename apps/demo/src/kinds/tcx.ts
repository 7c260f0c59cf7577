import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachTCX } from '@bpfkit/link';
import { counted, kind } from './kind.js';

const name = 'tcx';
const TCX_PASS = 0;

export const tcx = kind({
  name,
  feature: name,
  needs: ['attachTCX'],
  hook: 'TCX egress of the host end of the veth pair; UDP into the demo netns',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.SchedCLS, attachType: AttachType.TCXEgress }, TCX_PASS);
    const link = attachTCX({ program, interface: env.topology().host.name, attach: AttachType.TCXEgress });
    return counted(env.own(`${name} link`, link), map);
  },
  async trigger(_state, env) {
    await env.udpAcross('host', 2);
  },
});
