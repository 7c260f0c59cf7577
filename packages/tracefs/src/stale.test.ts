import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '@bpfkit/testing';
import { currentOwner, OwnerChecker, randomGroup } from './owner.js';
import type { ProbeEvent } from './probe-event.js';
import { listEvents, removeStaleEvents, type StaleEvent } from './stale.js';
import { type Child, spawnEventChild, type TranspiledPackage, transpilePackage } from './testing/child.js';
import { groupListed, ownGroupsListed } from './testing/events.js';
import { buildTarget, type Target } from './testing/target.js';
import { createUprobeEvent } from './uprobe.js';

let target: Target;
let pkg: TranspiledPackage;
const children: Child[] = [];
const ownEvents: ProbeEvent[] = [];

beforeAll(() => {
  target = buildTarget();
  pkg = transpilePackage();
});

afterAll(async () => {
  for (const c of children) c.process.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  if (process.getuid?.() === 0) {
    // Events a failed test left open; a clean run has closed them all already.
    for (const ev of ownEvents) ev.close();
    removeStaleEvents();
    for (const c of children) expect(c.groups.filter(groupListed)).toEqual([]);
    expect(ownGroupsListed()).toEqual([]);
  }
  pkg?.remove();
  target?.remove();
});

async function child(mode: 'hold' | 'drop'): Promise<Child> {
  const c = await spawnEventChild(pkg, target.path, target.functionOffset, mode);
  children.push(c);
  return c;
}

async function killed(): Promise<Child> {
  const c = await child('hold');
  c.process.kill('SIGKILL');
  await c.exited;
  return c;
}

function own(group: string): ProbeEvent {
  const ev = createUprobeEvent({ path: target.path, offset: target.functionOffset, group });
  ownEvents.push(ev);
  return ev;
}

function removedIn(removed: StaleEvent[], groups: string[]): StaleEvent[] {
  return removed.filter((e) => groups.includes(e.group));
}

function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('removeStaleEvents', () => {
  it("removes the events of a SIGKILLed process and leaves a live process's alone", async (ctx) => {
    requireRoot(ctx);
    // Our own first event comes first: its lazy sweep must not be what removes the dead child's.
    const mine = own(randomGroup());
    const live = await child('hold');
    const dead = await killed();
    // The kernel keeps the events of a killed process.
    for (const g of [...dead.groups, ...live.groups, mine.group]) expect(groupListed(g)).toBe(true);

    const removed = removeStaleEvents();
    const fromDead = removedIn(removed, dead.groups);
    expect(fromDead.map((e) => e.name).sort()).toEqual(['child_entry', 'child_return']);
    for (const e of fromDead) expect(e.owner.pid).toBe(dead.pid);
    expect(removedIn(removed, [...live.groups, mine.group])).toEqual([]);
    // Whatever else it removed (stale events of other runs) had a dead owner too.
    const checker = new OwnerChecker();
    for (const e of removed) expect(checker.state(e.owner)).toBe('dead');

    for (const g of dead.groups) expect(groupListed(g)).toBe(false);
    for (const g of [...live.groups, mine.group]) expect(groupListed(g)).toBe(true);
    expect(removedIn(removeStaleEvents(), [...dead.groups, ...live.groups, mine.group])).toEqual([]);

    live.process.stdin!.write('close\n');
    expect(await live.nextMessage()).toEqual({ closed: true });
    await live.exited;
    for (const g of live.groups) expect(groupListed(g)).toBe(false);
    mine.close();
    expect(groupListed(mine.group)).toBe(false);
  });

  it('does not let a reused PID protect a dead owner: the start time must match too', (ctx) => {
    requireRoot(ctx);
    const me = currentOwner();
    // This process's PID, but another start time: the PID was reused.
    const reused = own(`bpfkit_${me.pid}_${(me.startTime + 1n).toString(16)}_${me.pidNamespace.toString(16)}_00000001`);
    const real = own(randomGroup());
    const removed = removeStaleEvents();
    expect(removedIn(removed, [reused.group]).map((e) => e.owner.pid)).toEqual([me.pid]);
    expect(removedIn(removed, [real.group])).toEqual([]);
    expect(groupListed(reused.group)).toBe(false);
    // The event is already gone: close() counts that as done.
    reused.close();
    expect(reused.closed).toBe(true);
    real.close();
  });

  it('leaves events of a live PID namespace alone and removes those of a namespace that is gone', async (ctx) => {
    requireRoot(ctx);
    const me = currentOwner();
    const unshare = spawn('unshare', ['--pid', '--fork', 'sleep', '30']);
    try {
      let inner: string | undefined;
      for (let i = 0; i < 200 && !inner; i++) {
        inner = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim().split(' ')[0] || undefined;
        if (!inner) await new Promise((r) => setTimeout(r, 10));
      }
      const ns = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${inner}/ns/pid`))![1]);
      const inLiveNs = own(`bpfkit_1_1_${ns.toString(16)}_00000002`);
      const inDeadNs = own(`bpfkit_1_1_1_00000003`);
      const removed = removeStaleEvents();
      expect(removedIn(removed, [inLiveNs.group])).toEqual([]);
      expect(groupListed(inLiveNs.group)).toBe(true);
      const initNs = me.pidNamespace === 0xeffffffc;
      expect(removedIn(removed, [inDeadNs.group])).toHaveLength(initNs ? 1 : 0);
      inLiveNs.close();
      inDeadNs.close();
      expect(groupListed(inLiveNs.group) || groupListed(inDeadNs.group)).toBe(false);
    } finally {
      unshare.kill('SIGKILL');
    }
  });

  it('only touches groups with its prefix and owner format', (ctx) => {
    requireRoot(ctx);
    const ns = currentOwner().pidNamespace.toString(16);
    const other = own(`othertool_${deadPid()}_1_${ns}_00000004`);
    const handmade = own('bpfkit_handmade');
    expect(removedIn(removeStaleEvents(), [other.group, handmade.group])).toEqual([]);
    expect(groupListed(other.group)).toBe(true);
    expect(removedIn(removeStaleEvents({ prefix: 'othertool' }), [other.group])).toHaveLength(1);
    expect(groupListed(handmade.group)).toBe(true);
    other.close();
    handmade.close();
    expect(groupListed(handmade.group)).toBe(false);
  });

  it("runs by itself before a process's first event", async (ctx) => {
    requireRoot(ctx);
    const dead = await killed();
    for (const g of dead.groups) expect(groupListed(g)).toBe(true);
    // A new process creating its first event sweeps the dead one's events away.
    const next = await child('hold');
    for (const g of dead.groups) expect(groupListed(g)).toBe(false);
    next.process.stdin!.write('close\n');
    await next.exited;
  });

  it('sweeps at most once per process and tracefs directory', () => {
    // A plain directory stands in for tracefs, so no other process's sweep can interfere.
    const dir = mkdtempSync(join(target.dir, 'fake-tracefs-'));
    mkdirSync(join(dir, 'events'));
    const stale = `bpfkit_${deadPid()}_1_${currentOwner().pidNamespace.toString(16)}_00000005`;
    writeFileSync(join(dir, 'uprobe_events'), `p:${stale}/x /bin/true:0x0000000000000000\n`);
    const attempt = () => {
      try {
        createUprobeEvent({ path: target.path, offset: 1, tracefs: dir, group: randomGroup() });
      } catch {
        // No kernel behind the files: the event ID never appears.
      }
    };
    attempt();
    attempt();
    const removals = readFileSync(join(dir, 'uprobe_events'), 'utf8').split(`-:${stale}/x`).length - 1;
    expect(removals).toBe(1);
  });

  it('lists events with their type', (ctx) => {
    requireRoot(ctx);
    const ev = own(randomGroup());
    expect(listEvents()).toContainEqual({ type: 'uprobe', group: ev.group, name: ev.name });
    ev.close();
  });
});

describe('an event dropped without close()', () => {
  it('is removed by the finalizer', async (ctx) => {
    requireRoot(ctx);
    const c = await child('drop');
    expect(await c.nextMessage()).toEqual({ gone: true });
    await c.exited;
    for (const g of c.groups) expect(groupListed(g)).toBe(false);
  });
});
