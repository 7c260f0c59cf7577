/**
 * An rtnetlink socket: one request at a time, matched to its replies by sequence number.
 * The socket lives in the network namespace of the thread that opened it, so callers open one
 * per operation (see `withRtnl`) and operations follow the calling thread's namespace.
 */
import { BpfError, Errno, SyscallError } from '@bpfkit/errors';
import { bind, FD, getsockname, recvfrom, sendto, setsockopt, Sock, socket } from '@bpfkit/sys';
import { NETLINK_ROUTE, NetlinkSockOpt, NlmFlags, NlmsgType, RTM_NAMES, SOL_NETLINK } from './constants.js';
import { type Attr, decodeError, decodeExtack, decodeMessages, encodeMessage, type NetlinkMessage, readU32 } from './message.js';

const DUMP_RETRIES = 5;
/** The kernel fills one dump datagram up to about 32 KiB; single replies can be larger (MSG_TRUNC below). */
const INITIAL_RECV_BUFFER = 32 * 1024;
/** rtnetlink answers from within sendto(2); a reply that takes longer than this means a bug. */
const RECV_TIMEOUT_SECONDS = 10;

let nextSeq = (Date.now() / 1000) >>> 0;

function sockaddrNl(): Uint8Array {
  const addr = new Uint8Array(12);
  new DataView(addr.buffer).setUint16(0, Sock.AF_NETLINK, true);
  return addr;
}

/** `netlink(RTM_NEWLINK)`: the syscall name SyscallError carries for a failed request. */
function requestName(type: number): string {
  return `netlink(${RTM_NAMES[type] ?? `type ${type}`})`;
}

export interface Request {
  type: number;
  /** Extra nlmsg_flags; NLM_F_REQUEST is always set, NLM_F_ACK for non-dump requests. */
  flags?: number;
  header: Uint8Array;
  attrs?: readonly Attr[];
  /** What the caller was attempting, the error message's prefix. */
  context: string;
}

export class RtnlSocket {
  readonly #fd: FD;
  readonly #portId: number;
  #buf: Uint8Array;

  /** `receiveBufferSize` only sets where the receive buffer starts; it grows to fit any datagram. */
  constructor(options: { receiveBufferSize?: number } = {}) {
    this.#buf = new Uint8Array(options.receiveBufferSize ?? INITIAL_RECV_BUFFER);
    this.#fd = socket(Sock.AF_NETLINK, Sock.SOCK_RAW | Sock.SOCK_CLOEXEC, NETLINK_ROUTE);
    try {
      const fd = this.#fd.fd;
      // Extended acks (4.12) give the kernel's reason with the errno; strict checking (4.20)
      // makes the kernel reject header fields it would otherwise ignore. Older kernels lack both.
      optional(() => setsockopt(fd, SOL_NETLINK, NetlinkSockOpt.EXT_ACK, 1));
      optional(() => setsockopt(fd, SOL_NETLINK, NetlinkSockOpt.GET_STRICT_CHK, 1));
      // Errors need not echo the whole request back: the header is enough.
      optional(() => setsockopt(fd, SOL_NETLINK, NetlinkSockOpt.CAP_ACK, 1));
      const timeval = new Uint8Array(16);
      new DataView(timeval.buffer).setBigInt64(0, BigInt(RECV_TIMEOUT_SECONDS), true);
      setsockopt(fd, Sock.SOL_SOCKET, Sock.SO_RCVTIMEO, timeval);
      bind(fd, sockaddrNl());
      const local = new Uint8Array(12);
      getsockname(fd, local);
      this.#portId = new DataView(local.buffer).getUint32(4, true);
    } catch (err) {
      this.#fd.close();
      throw err;
    }
  }

  get fd(): number {
    return this.#fd.fd;
  }

  close(): void {
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Sends a request with NLM_F_ACK and returns the data messages that came before the ack. */
  request(req: Request): NetlinkMessage[] {
    const seq = this.#send(req, NlmFlags.ACK);
    const out: NetlinkMessage[] = [];
    for (;;) {
      for (const msg of this.#receive(seq)) {
        if (msg.type === NlmsgType.ERROR) {
          const { errno, extack } = decodeError(msg);
          if (errno !== 0) throw this.#error(req, errno, extack.message);
          return out;
        }
        if (msg.type === NlmsgType.DONE || msg.type === NlmsgType.NOOP) continue;
        out.push(msg);
      }
    }
  }

  /** Sends an NLM_F_DUMP request and collects every part up to NLMSG_DONE; retries interrupted dumps. */
  dump(req: Request): NetlinkMessage[] {
    for (let attempt = 0; ; attempt++) {
      const seq = this.#send(req, NlmFlags.DUMP);
      const out: NetlinkMessage[] = [];
      let interrupted = false;
      let done = false;
      while (!done) {
        for (const msg of this.#receive(seq)) {
          if (msg.flags & NlmFlags.DUMP_INTR) interrupted = true;
          if (msg.type === NlmsgType.DONE) {
            done = true;
            this.#checkDone(req, msg);
            break;
          }
          if (msg.type === NlmsgType.ERROR) {
            const { errno, extack } = decodeError(msg);
            if (errno !== 0) throw this.#error(req, errno, extack.message);
            continue;
          }
          if (msg.type !== NlmsgType.NOOP) out.push(msg);
        }
      }
      // The table changed while the kernel walked it: the result may miss or repeat entries.
      if (!interrupted) return out;
      if (attempt === DUMP_RETRIES) {
        throw new BpfError(`${req.context}: ${requestName(req.type)}: dump interrupted ${DUMP_RETRIES + 1} times by concurrent changes`);
      }
    }
  }

  #send(req: Request, extraFlags: number): number {
    const seq = (nextSeq = (nextSeq + 1) >>> 0);
    const flags = NlmFlags.REQUEST | extraFlags | (req.flags ?? 0);
    const msg = encodeMessage({ type: req.type, flags, seq, pid: 0 }, req.header, req.attrs);
    try {
      sendto(this.#fd.fd, msg, 0, sockaddrNl());
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext(req.context) : err;
    }
    return seq;
  }

  /** One datagram's messages that answer `seq`; replies to earlier requests are dropped. */
  #receive(seq: number): NetlinkMessage[] {
    const fd = this.#fd.fd;
    // Peek with MSG_TRUNC for the datagram's real size so a large reply is never cut short.
    const size = retryEintr(() => recvfrom(fd, this.#buf, Sock.MSG_PEEK | Sock.MSG_TRUNC));
    if (size > this.#buf.byteLength) this.#buf = new Uint8Array(Math.ceil(size / 4096) * 4096);
    const n = retryEintr(() => recvfrom(fd, this.#buf, 0));
    const datagram = this.#buf.slice(0, n);
    return decodeMessages(datagram).filter((m) => m.seq === seq && m.pid === this.#portId);
  }

  /** NLMSG_DONE carries an int: a dump that failed half-way reports its errno (and extack) here. */
  #checkDone(req: Request, msg: NetlinkMessage): void {
    if (msg.payload.byteLength < 4) return;
    const errno = -(readU32(msg.payload) | 0);
    if (errno === 0) return;
    const extack = msg.flags & NlmFlags.ACK_TLVS ? decodeExtack(msg.payload.subarray(4)) : {};
    throw this.#error(req, errno, extack.message);
  }

  #error(req: Request, errno: number, message: string | undefined): SyscallError {
    return new SyscallError(requestName(req.type), errno, message ? { context: req.context, hint: message } : { context: req.context });
  }
}

function optional(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof SyscallError && err.errno === Errno.ENOPROTOOPT)) throw err;
  }
}

function retryEintr(fn: () => number): number {
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if (err instanceof SyscallError && err.errno === Errno.EINTR) continue;
      if (err instanceof SyscallError && err.errno === Errno.EAGAIN) {
        throw new SyscallError(err.syscall, err.errno, { hint: `no rtnetlink reply within ${RECV_TIMEOUT_SECONDS} s`, cause: err });
      }
      throw err;
    }
  }
}

/** Runs `fn` with a fresh rtnetlink socket in the calling thread's current network namespace. */
export function withRtnl<T>(fn: (rtnl: RtnlSocket) => T): T {
  const rtnl = new RtnlSocket();
  try {
    return fn(rtnl);
  } finally {
    rtnl.close();
  }
}
