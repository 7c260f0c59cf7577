import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { libraryFunction } from '../library.js';
import { counted, kind } from './kind.js';
import type { NetfilterFunction } from './link-api.js';

const name = 'netfilter';
const NF_ACCEPT = 1;
const NFPROTO_IPV4 = 2;
const NF_INET_LOCAL_IN = 1;

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
    const attach = libraryFunction<NetfilterFunction>('attachNetfilter');
    const link = topology.run(() => attach({ program, protocolFamily: NFPROTO_IPV4, hook: NF_INET_LOCAL_IN, priority: -128 }));
    return counted(env.own(`${name} link`, link), map);
  },
  async trigger(_state, env) {
    await env.udpAcross('host', 2);
  },
});
