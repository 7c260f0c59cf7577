import { createServer, type Server } from 'node:net';
import { Map as BpfMap, MapType, ProgramType, structOpsValue } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import type { Env } from '../env.js';
import { attachStructOps } from '@bpfkit/link';
import { counted, kind, type Counted } from './kind.js';
import { loopbackAddress } from './sockaddr.js';

const name = 'struct_ops';
const IPPROTO_TCP = 6;
const TCP_CONGESTION = 13;
/** A congestion window in segments, what ssthresh and undo_cwnd must return: 10 is the initial one. */
const WINDOW = 10;

function listening(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((conn) => conn.on('error', () => undefined).destroy());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * A BPF tcp_congestion_ops: init and cong_avoid count; ssthresh and undo_cwnd (required) count
 * too and return a window. Registered under a name of this run while the link exists.
 */
function congestionControl(env: Env, map: BpfMap, ccName: string): BpfMap {
  const member = (m: string, returnValue = 0) => env.counting(name, map, { type: ProgramType.StructOps, attachTo: `tcp_congestion_ops:${m}` }, returnValue);
  const programs = { init: member('init'), cong_avoid: member('cong_avoid'), ssthresh: member('ssthresh', WINDOW), undo_cwnd: member('undo_cwnd', WINDOW) };
  const ops = env.own(
    `${name} map`,
    BpfMap.create({ type: MapType.StructOpsMap, structOps: 'tcp_congestion_ops', flags: sys.MapFlags.Link, name: env.name('cc') }),
  );
  ops.update(0, structOpsValue({ structOps: 'tcp_congestion_ops', programs, fields: { name: ccName } }));
  return ops;
}

export const structOps = kind<Counted & { ccName: string; server: Server }>({
  name,
  feature: name,
  needs: ['attachStructOps'],
  hook: 'a TCP congestion control (tcp_congestion_ops) of the demo; a loopback TCP connection that selects it',
  async setup(env) {
    const map = env.counter(name);
    const ccName = env.name('cc');
    const ops = congestionControl(env, map, ccName);
    const link = env.own(`${name} link`, attachStructOps({ map: ops }));
    const server = await listening();
    env.cleanup.defer(`${name} TCP server`, () => new Promise<void>((resolve) => server.close(() => resolve())));
    return { ...counted(link, map), ccName, server };
  },
  trigger(state) {
    const port = (state.server.address() as { port: number }).port;
    const client = sys.socket(sys.Sock.AF_INET, sys.Sock.SOCK_STREAM | sys.Sock.SOCK_CLOEXEC, 0);
    try {
      sys.setsockopt(client.fd, IPPROTO_TCP, TCP_CONGESTION, new TextEncoder().encode(state.ccName));
      // On loopback the handshake completes within connect(): init runs then.
      sys.connect(client.fd, loopbackAddress(port));
    } finally {
      client.close();
    }
  },
});
