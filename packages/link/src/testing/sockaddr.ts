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

/** The local port a socket is bound to. */
export function localPort(fd: number): number {
  const sa = new Uint8Array(16);
  sys.getsockname(fd, sa);
  return new DataView(sa.buffer).getUint16(2, false);
}
