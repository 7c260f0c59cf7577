import { createSocket } from 'node:dgram';
import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { addAddress, createNetkit, deleteLink, literalLookup, setUp, withNetns } from '@bpfkit/netlink';
import { DISCARD_PORT, sendTo } from '../env.js';
import { attachNetkit } from '@bpfkit/link';
import { counted, kind, type Counted } from './kind.js';

const name = 'netkit';
const NETKIT_PASS = 0;

/** A /30 outside the 10.192.0.0/10 that Topology picks from, one per process. */
function addresses(): [string, string] {
  const base = 4 * (process.pid % (1 << 14));
  const ip = (n: number) => `10.191.${(base + n) >> 8}.${(base + n) & 255}`;
  return [ip(1), ip(2)];
}

export const netkit = kind<Counted & { send(): Promise<void> }>({
  name,
  feature: name,
  needs: ['attachNetkit'],
  hook: 'the primary of a netkit pair whose peer sits in the demo netns; UDP sent through it',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.SchedCLS, attachType: AttachType.NetkitPrimary }, NETKIT_PASS);
    const netns = env.topology().netns;
    const tag = process.pid.toString(36);
    const [primary, peer] = [`bk-${tag}-nk`, `bk-${tag}-nkp`];
    const [primaryAddress, peerAddress] = addresses();
    createNetkit(primary, peer, { peerNetns: netns });
    env.cleanup.defer(`netkit pair ${primary}`, () => deleteLink(primary));
    addAddress(primary, `${primaryAddress}/30`);
    setUp(primary);
    withNetns(netns, () => {
      addAddress(peer, `${peerAddress}/30`);
      setUp(peer);
    });
    const socket = createSocket({ type: 'udp4', lookup: literalLookup });
    env.ownSocket(`${name} UDP socket`, socket);
    socket.bind(0, primaryAddress);
    const link = env.own(`${name} link`, attachNetkit({ program, interface: primary, attach: AttachType.NetkitPrimary }));
    return { ...counted(link, map), send: () => sendTo(socket, peerAddress, DISCARD_PORT) };
  },
  async trigger(state) {
    for (let i = 0; i < 2; i++) await state.send();
  },
});
