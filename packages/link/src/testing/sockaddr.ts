import * as sys from '@bpfkit/sys';

/** The local port a socket is bound to. */
export function localPort(fd: number): number {
  const sa = new Uint8Array(16);
  sys.getsockname(fd, sa);
  return new DataView(sa.buffer).getUint16(2, false);
}
