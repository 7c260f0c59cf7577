/**
 * A disposable test topology: a fresh network namespace joined to the current one by a veth
 * pair with addresses on both ends and every link up, so real packets cross a real device.
 *
 *   host netns                         topology.netns
 *   host.name (host.address) <-veth-> peer.name (peer.address), lo up
 */
import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { closedError, Errno, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { addAddress, addresses, parseCidr } from './address.js';
import { deleteLink, ifindex, setUp } from './link.js';
import { literalLookup } from './lookup.js';
import { checkIfname } from './names.js';
import { createNetns, deleteNetns, type Netns, uniqueNetnsName, withNetns } from './netns.js';
import { createVeth } from './veth.js';

export interface TopologyOptions {
  /** Name under /run/netns. Default: unique to this process (`bpfkit-<pid>-<n>`). */
  netnsName?: string;
  /** The veth end in the calling thread's namespace. Default: unique (`bk-<pid base36>-<n>h`). */
  hostName?: string;
  /** The veth end inside the namespace. Default: unique (`bk-<pid base36>-<n>p`). */
  peerName?: string;
  /** CIDR of the host end. Default: a /30 in 10.192.0.0/10 picked per process and not in use here. */
  hostAddress?: string;
  /** CIDR of the peer end. Default: the other address of the host end's /30. */
  peerAddress?: string;
  /** Also give both ends IPv6 addresses (a /64 in fd00:b9f::/32, without DAD). Default false. */
  ipv6?: boolean;
}

export interface TopologyEnd {
  name: string;
  /** The interface index in its own namespace. */
  index: number;
  /** IPv4 address, e.g. `'10.192.4.1'`. */
  address: string;
  cidr: string;
  address6?: string;
  cidr6?: string;
}

let topologies = 0;

function ownName(n: number, side: 'h' | 'p'): string {
  return `bk-${process.pid.toString(36)}-${n.toString(36)}${side}`;
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
}

function intToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A /30 in 10.192.0.0/10 (2^20 blocks), seeded by pid and counter, overlapping no subnet in use here. */
function pickIPv4(n: number): [string, string] {
  const inUse = addresses().filter((a) => a.family === 4).map((a) => ({ net: ipv4ToInt(a.address), bits: Math.min(a.prefixLength, 30) }));
  const mask = (bits: number) => (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0);
  for (let i = 0; ; i++) {
    const block = (process.pid * 64 + n + i * 7919) % (1 << 20);
    const base = (((10 << 24) | (192 << 16)) + block * 4) >>> 0;
    if (inUse.some((u) => ((u.net & mask(u.bits)) >>> 0) === ((base & mask(u.bits)) >>> 0))) continue;
    return [`${intToIPv4(base + 1)}/30`, `${intToIPv4(base + 2)}/30`];
  }
}

function pickIPv6(n: number): [string, string] {
  const id = (process.pid * 64 + n) >>> 0;
  const prefix = `fd00:b9f:${(id >>> 16).toString(16)}:${(id & 0xffff).toString(16)}`;
  return [`${prefix}::1/64`, `${prefix}::2/64`];
}

interface Leftovers {
  hostName: string;
  netnsName: string;
}

function removeAll(what: Leftovers): unknown {
  let first: unknown;
  try {
    deleteLink(what.hostName);
  } catch (err) {
    // Gone already (deleted by hand, or moved away): the namespace still has to go.
    if (!(err instanceof SyscallError && err.errno === Errno.ENODEV)) first = err;
  }
  try {
    deleteNetns(what.netnsName);
  } catch (err) {
    if (!(err instanceof SyscallError && err.errno === Errno.ENOENT)) first ??= err;
  }
  return first;
}

const finalizer = new FinalizationRegistry<Leftovers>((held) => {
  removeAll(held);
});

export class Topology {
  readonly netns: Netns;
  readonly host: TopologyEnd;
  readonly peer: TopologyEnd;
  #closed = false;
  readonly #token = {};

  /** Builds the topology; on any failure everything created so far is removed before the error is thrown. */
  constructor(options: TopologyOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object');
    const n = ++topologies;
    const hostName = checkIfname(options.hostName ?? ownName(n, 'h'), 'hostName');
    const peerName = checkIfname(options.peerName ?? ownName(n, 'p'), 'peerName');
    const given4 = [options.hostAddress, options.peerAddress].map((c, i) => (c === undefined ? undefined : parseCidr(c, i ? 'peerAddress' : 'hostAddress')));
    if ((given4[0] === undefined) !== (given4[1] === undefined)) {
      throw new InvalidArgumentError('peerAddress', 'hostAddress and peerAddress go together: give both or neither');
    }
    const [hostCidr, peerCidr] = given4[0] ? [options.hostAddress!, options.peerAddress!] : pickIPv4(n);
    const [hostCidr6, peerCidr6] = options.ipv6 ? pickIPv6(n) : [undefined, undefined];

    const netns = createNetns(options.netnsName ?? uniqueNetnsName());
    const leftovers = { hostName, netnsName: netns.name };
    try {
      createVeth(hostName, peerName, { peerNetns: netns });
      addAddress(hostName, hostCidr);
      if (hostCidr6) addAddress(hostName, hostCidr6, { noDad: true });
      setUp(hostName);
      const peerIndex = withNetns(netns, () => {
        addAddress(peerName, peerCidr);
        if (peerCidr6) addAddress(peerName, peerCidr6, { noDad: true });
        setUp(peerName);
        setUp('lo');
        return ifindex(peerName);
      });
      this.host = end(hostName, ifindex(hostName), hostCidr, hostCidr6);
      this.peer = end(peerName, peerIndex, peerCidr, peerCidr6);
    } catch (err) {
      netns.close();
      removeAll(leftovers);
      throw err;
    }
    this.netns = netns;
    finalizer.register(this, leftovers, this.#token);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs the synchronous `fn` inside the topology's namespace (see withNetns). */
  run<T>(fn: () => T): T {
    this.#checkOpen();
    return withNetns(this.netns, fn);
  }

  /**
   * A UDP socket bound (before this returns) to one end's address: `'peer'` binds inside the
   * namespace. `family` 6 needs the topology to have been made with `ipv6: true`.
   */
  udpSocket(side: 'host' | 'peer', options: { family?: 4 | 6; port?: number } = {}): Socket {
    this.#checkOpen();
    const family = options.family ?? 4;
    const e = side === 'host' ? this.host : side === 'peer' ? this.peer : undefined;
    if (!e) throw new InvalidArgumentError('side', `must be 'host' or 'peer', got ${String(side)}`);
    const address = family === 4 ? e.address : e.address6;
    if (address === undefined) throw new InvalidArgumentError('family', family === 6 ? 'the topology has no IPv6 addresses (create it with ipv6: true)' : 'must be 4 or 6');
    const bind = () => {
      const socket = createSocket({ type: `udp${family}` as SocketType, lookup: literalLookup });
      try {
        // With a synchronous lookup a bind error is emitted, and so thrown, right here.
        socket.bind(options.port ?? 0, address);
      } catch (err) {
        socket.close();
        throw err;
      }
      return socket;
    };
    return side === 'peer' ? this.run(bind) : bind();
  }

  /** Deletes the veth pair and the namespace; calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    finalizer.unregister(this.#token);
    this.netns.close();
    const err = removeAll({ hostName: this.host.name, netnsName: this.netns.name });
    if (err) throw err;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError(`topology ${this.netns.name}`, { argument: 'topology' });
  }
}

function end(name: string, index: number, cidr: string, cidr6: string | undefined): TopologyEnd {
  const e: TopologyEnd = { name, index, address: parseCidr(cidr).address, cidr };
  if (cidr6) {
    e.address6 = parseCidr(cidr6).address;
    e.cidr6 = cidr6;
  }
  return e;
}
