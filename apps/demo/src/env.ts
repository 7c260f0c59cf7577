import type { Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counterProgram, Map as BpfMap, MapType, Program, type ProgramLoadOptions } from '@bpfkit/ebpf';
import { Topology } from '@bpfkit/netlink';
import { createDemoCgroup } from './cgroup-dir.js';
import type { Cleanup } from './cleanup.js';
import { TriggerChild } from './trigger-child.js';

/** The discard port: datagrams to it need no listener to cross every hook on the way. */
export const DISCARD_PORT = 9;

/** The prefix of every program and map name of this run: `bd<pid in base 36>_`. */
export function namePrefix(pid = process.pid): string {
  return `bd${pid.toString(36)}_`;
}

/**
 * What the rows share: one cgroup, one network namespace joined by a veth pair, one trigger child,
 * made on first use; and the cleanup of everything made through it.
 */
export class Env {
  readonly cleanup: Cleanup;
  readonly signal: AbortSignal;
  #cgroup?: string;
  #topology?: Topology;
  #child?: TriggerChild;
  #joined?: Promise<void>;
  #sockets = new Map<'host' | 'peer', Socket>();

  constructor(cleanup: Cleanup, signal: AbortSignal) {
    this.cleanup = cleanup;
    this.signal = signal;
  }

  /** Closes `thing` at cleanup (closing it earlier is harmless: close is idempotent). */
  own<T extends { close(): void }>(label: string, thing: T): T {
    this.cleanup.defer(label, () => thing.close());
    return thing;
  }

  /** Closes a dgram socket at cleanup. */
  ownSocket(label: string, socket: Socket): Socket {
    this.cleanup.defer(label, () => closeSocket(socket));
    return socket;
  }

  /** An array map of one u64 counter. */
  counter(row: string): BpfMap {
    return this.own(`${row} counter map`, BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1, name: this.name(row) }));
  }

  /** A program that counts its runs at key 0 of `map` and returns `returnValue`. */
  counting(row: string, map: BpfMap, load: Omit<ProgramLoadOptions, 'instructions' | 'license'>, returnValue = 0): Program {
    const program = Program.load({ ...load, instructions: counterProgram(map, { returnValue }), license: 'GPL', name: this.name(row) });
    return this.own(`${row} program`, program);
  }

  name(row: string): string {
    return (namePrefix() + row.replace(/[^A-Za-z0-9]/g, '')).slice(0, 15);
  }

  /** The demo's cgroup v2 directory. */
  cgroup(): string {
    this.#cgroup ??= createDemoCgroup(this.cleanup);
    return this.#cgroup;
  }

  /** host netns <-veth-> the demo's netns, addresses on both ends, links up. */
  topology(): Topology {
    if (!this.#topology) {
      const topology = new Topology();
      this.#topology = this.own(`network namespace ${topology.netns.name} and veth ${topology.host.name}`, topology);
    }
    return this.#topology;
  }

  /** The trigger child, started once; killed (and waited for) at cleanup. */
  child(): TriggerChild {
    if (!this.#child) {
      const child = new TriggerChild();
      this.cleanup.defer(`trigger child ${child.pid}`, () => child.kill());
      this.#child = child;
    }
    return this.#child;
  }

  /** The trigger child, moved into the demo cgroup. */
  async childInCgroup(): Promise<TriggerChild> {
    const child = this.child();
    this.#joined ??= child.request({ op: 'join', cgroup: this.cgroup() });
    await this.#joined;
    return child;
  }

  /** Sends `count` UDP datagrams from one end of the topology to the discard port of the other. */
  async udpAcross(from: 'host' | 'peer', count: number): Promise<void> {
    const topology = this.topology();
    let socket = this.#sockets.get(from);
    if (!socket) {
      socket = topology.udpSocket(from);
      this.ownSocket(`UDP socket on the ${from} end`, socket);
      this.#sockets.set(from, socket);
    }
    const to = from === 'host' ? topology.peer.address : topology.host.address;
    for (let i = 0; i < count; i++) await sendTo(socket, to, DISCARD_PORT);
  }

  /** A private temporary directory, removed at cleanup. */
  tempDir(row: string): string {
    const dir = mkdtempSync(join(tmpdir(), `bpfkit-demo-${process.pid}-`));
    this.cleanup.defer(`${row} temporary directory ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
}

export function sendTo(socket: Socket, address: string, port: number, payload = 'bpfkit'): Promise<void> {
  return new Promise((resolve, reject) => socket.send(payload, port, address, (err) => (err ? reject(err) : resolve())));
}

/** dgram's close() throws when called twice: this one does not. */
export function closeSocket(socket: Socket): void {
  try {
    socket.close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING') throw err;
  }
}
