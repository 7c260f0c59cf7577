import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachNetfilter, NetfilterInetHook, NetfilterProtocolFamily } from '@bpfkit/link';
import { counted, kind } from './kind.js';

const name = 'netfilter';
const NF_ACCEPT = 1;

export const netfilter = kind({
  name,
  feature: name,
  needs: ['attachNetfilter'],
  hook: 'netfilter IPv4 LOCAL_IN of the demo netns (accept); UDP from the host end',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.Netfilter, attachType: AttachType.Netfilter }, NF_ACCEPT);
    const topology = env.topology();
    // A netfilter link hooks the network namespace of the thread that creates it.
    const link = topology.run(() => attachNetfilter({ program, protocolFamily: NetfilterProtocolFamily.IPv4, hook: NetfilterInetHook.LocalIn, priority: -128 }));
    return counted(env.own(`${name} link`, link), map);
  },
  async trigger(_state, env) {
    await env.udpAcross('host', 2);
  },
});
