import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { InvalidArgumentError } from '@bpfkit/errors';
import { MAX_NAME_CHARS } from './names.js';

/** The group prefix bpfkit uses when the caller gives none. */
export const DEFAULT_PREFIX = 'bpfkit';

/** proc_ns.h PROC_PID_INIT_INO: the inode of the initial PID namespace, fixed on every kernel. */
const INIT_PID_NS = 0xeffffffc;

/**
 * A process, identified so that PID reuse cannot be mistaken for the owner still running: the
 * PID, its start time (clock ticks after boot, /proc/<pid>/stat field 22; 0 = unknown) and the
 * inode of its PID namespace (0 = unknown).
 */
export interface ProcessOwner {
  pid: number;
  startTime: bigint;
  pidNamespace: number;
}

/** Field 22 of /proc/<pid>/stat and the state letter (field 3), or undefined if there is no such process. */
function readStat(pid: number | 'self'): { state: string; startTime: bigint } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses; the fields after the last ')' are fixed.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTime = rest[19];
  if (rest[0] === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return undefined;
  return { state: rest[0], startTime: BigInt(startTime) };
}

function readPidNamespace(pid: number | 'self'): number | undefined {
  try {
    const m = /^pid:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/pid`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

let self: ProcessOwner | undefined;

/** This process as an owner; read from /proc once. */
export function currentOwner(): ProcessOwner {
  if (self?.pid !== process.pid) {
    self = {
      pid: process.pid,
      startTime: readStat('self')?.startTime ?? 0n,
      pidNamespace: readPidNamespace('self') ?? 0,
    };
  }
  return self;
}

// Unique within the process; the owner fields make groups unique across processes.
let sequence = randomBytes(4).readUInt32BE(0);

function ownerTag(owner: ProcessOwner): string {
  return `${owner.pid}_${owner.startTime.toString(16)}_${owner.pidNamespace.toString(16)}`;
}

/**
 * A new group name `<prefix>_<pid>_<start time hex>_<pid namespace hex>_<8 hex>` that names this
 * process as its owner, so removeStaleEvents() in another process can tell when it is gone. The
 * last field starts at a random value and counts up, so groups never repeat within a process.
 * Throws InvalidArgumentError if the prefix is not a C identifier or the name would exceed 63
 * characters (prefixes of up to about 27 characters fit).
 */
export function randomGroup(prefix: string = DEFAULT_PREFIX): string {
  if (typeof prefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw new InvalidArgumentError('prefix', `prefix '${String(prefix)}' must be alphanumeric or underscore`);
  }
  sequence = (sequence + 1) >>> 0;
  const group = `${prefix}_${ownerTag(currentOwner())}_${sequence.toString(16).padStart(8, '0')}`;
  if (group.length > MAX_NAME_CHARS) {
    throw new InvalidArgumentError('prefix', `group name '${group}' cannot be longer than ${MAX_NAME_CHARS} characters`);
  }
  return group;
}

const GROUP_PATTERN = /^(.+)_(\d+)_([0-9a-f]+)_([0-9a-f]+)_[0-9a-f]{8}$/;

/** The owner encoded in a group made by randomGroup(prefix), or undefined for any other group. */
export function parseGroupOwner(group: string, prefix: string = DEFAULT_PREFIX): ProcessOwner | undefined {
  const m = GROUP_PATTERN.exec(group);
  if (!m || m[1] !== prefix) return undefined;
  const pid = Number(m[2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: BigInt(`0x${m[3]}`), pidNamespace: Number.parseInt(m[4]!, 16) };
}

export type OwnerState = 'alive' | 'dead' | 'unknown';

/** Memoises the /proc scan for PID namespaces during one liveness sweep. */
export class OwnerChecker {
  private liveNamespaces: Set<number> | undefined;

  constructor(private readonly me: ProcessOwner = currentOwner()) {}

  /**
   * Whether the owner still runs. In our PID namespace: the PID exists, is not a zombie, and
   * started at the recorded time (a reused PID has another start time). In another namespace the
   * PID means nothing here; only from the initial namespace, which sees every process, can a
   * namespace with no process left be called dead. Anything else is 'unknown' and left alone.
   */
  state(owner: ProcessOwner): OwnerState {
    if (owner.pidNamespace === 0 || this.me.pidNamespace === 0) return 'unknown';
    if (owner.pidNamespace === this.me.pidNamespace) {
      const stat = readStat(owner.pid);
      if (!stat || stat.state === 'Z' || stat.state === 'X') return 'dead';
      if (owner.startTime !== 0n && stat.startTime !== owner.startTime) return 'dead';
      return 'alive';
    }
    if (this.me.pidNamespace !== INIT_PID_NS) return 'unknown';
    return this.namespaces().has(owner.pidNamespace) ? 'unknown' : 'dead';
  }

  private namespaces(): Set<number> {
    if (!this.liveNamespaces) {
      this.liveNamespaces = new Set();
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const ns = readPidNamespace(Number(entry));
        if (ns !== undefined) this.liveNamespaces.add(ns);
      }
    }
    return this.liveNamespaces;
  }
}
