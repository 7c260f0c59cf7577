import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachCgroup } from '@bpfkit/link';
import { DISCARD_PORT } from '../env.js';
import { counted, kind } from './kind.js';

const name = 'cgroup';

export const cgroup = kind({
  name,
  feature: 'cgroup',
  needs: ['attachCgroup'],
  hook: 'inet egress of the demo cgroup; UDP sent by the trigger child inside it',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.CGroupSKB, attachType: AttachType.CGroupInetEgress }, 1);
    return counted(env.own(`${name} link`, attachCgroup({ path: env.cgroup(), attach: AttachType.CGroupInetEgress, program })), map);
  },
  async trigger(_state, env) {
    await (await env.childInCgroup()).request({ op: 'udp', count: 2, port: DISCARD_PORT });
  },
});
