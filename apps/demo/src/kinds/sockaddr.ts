import * as sys from '@bpfkit/sys';

/** A sockaddr_in for 127.0.0.1:`port`. */
export function loopbackAddress(port = 0): Uint8Array {
  const sa = new Uint8Array(16);
  const v = new DataView(sa.buffer);
  v.setUint16(0, sys.Sock.AF_INET, true);
  v.setUint16(2, port, false);
  sa.set([127, 0, 0, 1], 4);
  return sa;
}

/** The port of a sockaddr_in. */
export function portOf(sockaddr: Uint8Array): number {
  return new DataView(sockaddr.buffer, sockaddr.byteOffset, sockaddr.byteLength).getUint16(2, false);
}
