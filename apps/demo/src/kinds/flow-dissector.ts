import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachNetNs } from '@bpfkit/link';
import * as sys from '@bpfkit/sys';
import { counted, kind } from './kind.js';

const name = 'netns/flow_dissector';
const ETH_P_IP = 0x0800;
const LOOPBACK_IFINDEX = 1;

/** An Ethernet frame holding a minimal IPv4/UDP header, 127.0.0.1:9 to itself. */
const FRAME = new Uint8Array([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00,
  0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
  0, 9, 0, 9, 0, 8, 0, 0,
]);

function linkLayerAddress(): Uint8Array {
  const ll = new Uint8Array(20);
  const v = new DataView(ll.buffer);
  v.setUint16(0, sys.Sock.AF_PACKET, true);
  v.setUint16(2, ETH_P_IP, false);
  v.setInt32(4, LOOPBACK_IFINDEX, true);
  ll[11] = 6;
  return ll;
}

export const flowDissector = kind({
  name,
  feature: 'netns',
  needs: ['attachNetNs'],
  hook: 'flow dissector of the demo netns; AF_PACKET frames sent on its loopback (packet_snd dissects them)',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.FlowDissector, attachType: AttachType.FlowDissector });
    // Opened from inside: the thread's own netns file, whatever the path form attachNetNs accepts.
    const link = env.topology().run(() => attachNetNs('/proc/thread-self/ns/net', program));
    return counted(env.own(`${name} link`, link), map);
  },
  trigger(_state, env) {
    const topology = env.topology();
    const socket = topology.run(() => sys.socket(sys.Sock.AF_PACKET, sys.Sock.SOCK_RAW | sys.Sock.SOCK_CLOEXEC, 0));
    try {
      const ll = linkLayerAddress();
      for (let i = 0; i < 2; i++) sys.sendto(socket.fd, FRAME, 0, ll);
    } finally {
      socket.close();
    }
  },
});
