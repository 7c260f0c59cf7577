import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachCgroup } from '@bpfkit/link';
import { DISCARD_PORT } from '../env.js';
import { counted, kind } from './kind.js';

const name = 'cgroup/prog_attach';

export const cgroupProgAttach = kind({
  name,
  feature: 'cgroup',
  needs: ['attachCgroup'],
  hook: 'inet socket creation in the demo cgroup (legacy BPF_PROG_ATTACH); sockets the trigger child opens',
  setup(env) {
    const map = env.counter(name);
    // 1 lets the socket be created.
    const program = env.counting(name, map, { type: ProgramType.CGroupSock, attachType: AttachType.CGroupInetSockCreate }, 1);
    const link = attachCgroup({ path: env.cgroup(), attach: AttachType.CGroupInetSockCreate, program, mechanism: 'prog_attach' });
    return counted(env.own(`${name} attachment`, link), map);
  },
  async trigger(_state, env) {
    await (await env.childInCgroup()).request({ op: 'udp', count: 2, port: DISCARD_PORT });
  },
});
