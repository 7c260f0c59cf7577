import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Program } from '@bpfkit/ebpf';
import { iterateLinks } from '@bpfkit/link';
import { links } from '@bpfkit/netlink';
import * as sys from '@bpfkit/sys';
import { listEvents } from '@bpfkit/tracefs';
import { namePrefix } from '../env.js';

export interface Leftovers {
  programs: string[];
  links: number[];
  netns: string[];
  veth: string[];
  cgroups: string[];
  tracefsEvents: string[];
}

function cgroup2Root(): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep >= 0 && line.slice(sep + 3).startsWith('cgroup2 ')) return line.slice(0, sep).split(' ')[4];
  }
  return undefined;
}

function programsNamed(prefix: string): Map<number, string> {
  const found = new Map<number, string>();
  for (let id = sys.progGetNextId(0); id !== undefined; id = sys.progGetNextId(id)) {
    let program: Program;
    try {
      program = Program.fromID(id);
    } catch {
      continue; // unloaded since
    }
    try {
      const { name } = program.info();
      if (name.startsWith(prefix)) found.set(id, name);
    } finally {
      program.close();
    }
  }
  return found;
}

/** Links of `programs`. */
function linksOf(programs: Map<number, string>): number[] {
  const ids: number[] = [];
  for (const link of iterateLinks()) {
    const info = link.info();
    if (programs.has(info.program)) ids.push(info.id);
    link.close();
  }
  return ids;
}

/** What a demo run with process id `pid` made that still exists: all empty after a clean exit. */
export function leftovers(pid: number): Leftovers {
  const programs = programsNamed(namePrefix(pid));
  const linkIds = linksOf(programs);
  const netnsDir = '/run/netns';
  const root = cgroup2Root();
  const ownedGroup = new RegExp(`_${pid}_[0-9a-f]+_[0-9a-f]+_[0-9a-f]{8}$`);
  let events: string[] = [];
  try {
    events = listEvents().filter((e) => ownedGroup.test(e.group)).map((e) => `${e.type} ${e.group}/${e.name}`);
  } catch {
    // No tracefs: nothing of ours in it either.
  }
  return {
    programs: [...programs].map(([id, name]) => `${id} ${name}`),
    links: linkIds,
    netns: existsSync(netnsDir) ? readdirSync(netnsDir).filter((n) => n.startsWith(`bpfkit-${pid}-`)) : [],
    veth: links().map((l) => l.name).filter((n) => n.startsWith(`bk-${pid.toString(36)}-`)),
    cgroups: [
      ...(root ? readdirSync(root).filter((n) => n === `bpfkit-demo-${pid}`) : []),
      ...(existsSync(`/run/bpfkit-demo-${pid}-cgroup2`) ? [`/run/bpfkit-demo-${pid}-cgroup2`] : []),
    ],
    tracefsEvents: events,
  };
}

export const NOTHING: Leftovers = { programs: [], links: [], netns: [], veth: [], cgroups: [], tracefsEvents: [] };

/**
 * leftovers() once the kernel has finished what the exit started: a struct_ops map (and with it
 * its programs) is freed only after an RCU tasks grace period, a moment after its last fd closed.
 * Everything else must be gone already; the wait is bounded, generously for qemu's TCG.
 */
export async function leftoversAfterExit(pid: number): Promise<Leftovers> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = leftovers(pid);
    const onlyPrograms = JSON.stringify({ ...now, programs: [] }) === JSON.stringify(NOTHING);
    if (!onlyPrograms || now.programs.length === 0 || Date.now() > deadline) return now;
    await sleep(100);
  }
}
