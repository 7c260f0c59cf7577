import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachNetNs } from '@bpfkit/link';
import { counted, kind } from './kind.js';

const name = 'netns/sk_lookup';
const SK_PASS = 1;

export const skLookup = kind({
  name,
  feature: 'netns',
  needs: ['attachNetNs'],
  hook: "socket lookup in the demo netns; UDP from the host end of the veth pair",
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.SkLookup, attachType: AttachType.SkLookup }, SK_PASS);
    // Opened from inside: the thread's own netns file, whatever the path form attachNetNs accepts.
    const link = env.topology().run(() => attachNetNs('/proc/thread-self/ns/net', program));
    return counted(env.own(`${name} link`, link), map);
  },
  async trigger(_state, env) {
    await env.udpAcross('host', 2);
  },
});
