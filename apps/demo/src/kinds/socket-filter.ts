import { createSocket, type Socket } from 'node:dgram';
import { ProgramType, type Map as BpfMap } from '@bpfkit/ebpf';
import { attachSocketFilter } from '@bpfkit/link';
import * as sys from '@bpfkit/sys';
import { closeSocket, sendTo } from '../env.js';
import { readCounter, type DemoKind } from './kind.js';
import { loopbackAddress, portOf } from './sockaddr.js';

const name = 'socket_filter';
/** Keep the whole packet. */
const KEEP = 0xffff;

interface State {
  mechanism: string;
  map: BpfMap;
  receiver: sys.FD;
  port: number;
  sender: Socket;
}

/** A UDP socket bound to an ephemeral port of 127.0.0.1, as a plain fd (its datagrams are read and dropped). */
function boundReceiver(): { fd: sys.FD; port: number } {
  const fd = sys.socket(sys.Sock.AF_INET, sys.Sock.SOCK_DGRAM | sys.Sock.SOCK_NONBLOCK | sys.Sock.SOCK_CLOEXEC, 0);
  try {
    sys.bind(fd.fd, loopbackAddress());
    const bound = new Uint8Array(16);
    sys.getsockname(fd.fd, bound);
    return { fd, port: portOf(bound) };
  } catch (err) {
    fd.close();
    throw err;
  }
}

function drain(fd: sys.FD): void {
  const buf = new Uint8Array(64);
  for (;;) {
    try {
      sys.recvfrom(fd.fd, buf, sys.Sock.MSG_DONTWAIT);
    } catch {
      return; // EAGAIN: empty
    }
  }
}

export const socketFilter: DemoKind<State> = {
  name,
  feature: 'socket_filter',
  needs: ['attachSocketFilter'],
  hook: 'a UDP socket of the demo on loopback (SO_ATTACH_BPF); datagrams sent to it',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.SocketFilter }, KEEP);
    const { fd, port } = boundReceiver();
    env.own(`${name} receiving socket`, fd);
    const sender = env.ownSocket(`${name} sending socket`, createSocket('udp4'));
    attachSocketFilter(fd.fd, program);
    return { mechanism: 'setsockopt', map, receiver: fd, port, sender };
  },
  async trigger(state) {
    for (let i = 0; i < 2; i++) await sendTo(state.sender, '127.0.0.1', state.port);
    drain(state.receiver);
  },
  count: readCounter,
  cleanup(state) {
    state.receiver.close();
    closeSocket(state.sender);
  },
};
