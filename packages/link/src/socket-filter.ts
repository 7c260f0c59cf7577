import type { Socket as DgramSocket } from 'node:dgram';
import { fstatSync } from 'node:fs';
import type { Socket as NetSocket } from 'node:net';
import { fromNodeError, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { typedProgramFd, type ProgramRef } from './program-ref.js';

/** A socket fd, or a Node `net.Socket` / `dgram.Socket` (bound or connected, so that it has an fd). */
export type SocketRef = number | DgramSocket | NetSocket;

const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;

type Handle = { readonly fd?: number } | null | undefined;

/**
 * The fd behind a Node socket. dgram.Socket keeps its handle in a symbol-keyed state object (its
 * `_handle` getter is deprecated, DEP0112); net.Socket in `_handle`.
 */
function nodeSocketFd(socket: object): number | undefined {
  for (const sym of Object.getOwnPropertySymbols(socket)) {
    if (sym.description !== 'state symbol') continue;
    const state = (socket as Record<symbol, { handle?: Handle } | undefined>)[sym];
    if (state !== undefined && 'handle' in state) return state.handle?.fd;
  }
  return (socket as { _handle?: Handle })._handle?.fd;
}

function socketFd(socket: SocketRef, what: string): number {
  const fd = typeof socket === 'number' ? socket : typeof socket === 'object' && socket !== null ? nodeSocketFd(socket) : undefined;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) {
    const hint = typeof socket === 'object' && socket !== null ? ': a Node socket has an fd once it is bound or connected' : '';
    throw new InvalidArgumentError('socket', `${what}: expected a socket fd or a Node socket${hint}`);
  }
  let isSocket: boolean;
  try {
    isSocket = fstatSync(fd).isSocket();
  } catch (err) {
    throw fromNodeError(err, `fstat(${fd})`, { context: what });
  }
  if (!isSocket) throw new InvalidArgumentError('socket', `${what}: fd ${fd} is not a socket`);
  return fd;
}

/**
 * Attach a SocketFilter program to a socket (SO_ATTACH_BPF). There is no link: the filter lives as
 * long as the socket, or until detachSocketFilter.
 */
export function attachSocketFilter(socket: SocketRef, program: ProgramRef): void {
  const what = 'attach socket filter';
  const progFd = typedProgramFd(program, what, { SocketFilter: sys.ProgType.SocketFilter });
  const fd = socketFd(socket, what);
  try {
    sys.setsockopt(fd, sys.Sock.SOL_SOCKET, SO_ATTACH_BPF, progFd);
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext(`${what} to fd ${fd}`) : err;
  }
}

/** Remove the socket's BPF filter (SO_DETACH_BPF); ENOENT when it has none. */
export function detachSocketFilter(socket: SocketRef): void {
  const what = 'detach socket filter';
  const fd = socketFd(socket, what);
  try {
    sys.setsockopt(fd, sys.Sock.SOL_SOCKET, SO_DETACH_BPF, 0);
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext(`${what} from fd ${fd}`) : err;
  }
}
