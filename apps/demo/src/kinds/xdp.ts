import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachXDP } from '@bpfkit/link';
import { counted, kind } from './kind.js';

const name = 'xdp';
const XDP_PASS = 2;

export const xdp = kind({
  name,
  feature: name,
  needs: ['attachXDP'],
  hook: 'XDP on the host end of the veth pair; UDP from the demo netns',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.XDP, attachType: AttachType.XDP }, XDP_PASS);
    const link = attachXDP({ program, interface: env.topology().host.name });
    return counted(env.own(`${name} link`, link), map);
  },
  async trigger(_state, env) {
    await env.udpAcross('peer', 2);
  },
});
