import * as sys from '@bpfkit/sys';
import { loopback } from '@bpfkit/testing';

/** A UDP socket bound to an ephemeral loopback port. */
export function boundUdpSocket(): { sock: sys.FD; port: number } {
  const sock = sys.socket(sys.Sock.AF_INET, sys.Sock.SOCK_DGRAM | sys.Sock.SOCK_CLOEXEC, 0);
  try {
    sys.bind(sock.fd, loopback());
    const sa = new Uint8Array(16);
    sys.getsockname(sock.fd, sa);
    return { sock, port: new DataView(sa.buffer).getUint16(2, false) };
  } catch (err) {
    sock.close();
    throw err;
  }
}
