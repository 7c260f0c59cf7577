import * as sys from '@bpfkit/sys';

/** struct sockaddr_in for 127.0.0.1:port. */
export function loopback(port = 0): Uint8Array {
  const sa = new Uint8Array(16);
  const v = new DataView(sa.buffer);
  v.setUint16(0, sys.Sock.AF_INET, true);
  v.setUint16(2, port, false);
  sa.set([127, 0, 0, 1], 4);
  return sa;
}

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
