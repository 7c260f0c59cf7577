/** AF_INET from <sys/socket.h>; written here because @bpfkit/sys's own tests use this package. */
const AF_INET = 2;

/** struct sockaddr_in for 127.0.0.1:port. */
export function loopback(port = 0): Uint8Array {
  const sa = new Uint8Array(16);
  const v = new DataView(sa.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  sa.set([127, 0, 0, 1], 4);
  return sa;
}
