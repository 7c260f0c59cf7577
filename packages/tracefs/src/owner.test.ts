import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { InvalidArgumentError } from '@bpfkit/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRoot } from '@bpfkit/testing';
import { currentOwner, OwnerChecker, parseGroupOwner, randomGroup } from './owner.js';

const INIT_PID_NS = 4026531836;

function startTimeOf(pid: number): bigint {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return BigInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!);
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

async function until<T>(f: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

describe('randomGroup', () => {
  it('embeds this process as the owner: <prefix>_<pid>_<start time>_<pid namespace>_<8 hex>', () => {
    const group = randomGroup();
    const me = currentOwner();
    expect(group).toMatch(new RegExp(`^bpfkit_${process.pid}_[0-9a-f]+_[0-9a-f]+_[0-9a-f]{8}$`));
    expect(parseGroupOwner(group)).toEqual(me);
    expect(me.startTime).toBe(startTimeOf(process.pid));
    expect(me.pidNamespace).toBe(Number(/\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1]));
    expect(group.length).toBeLessThanOrEqual(63);
  });

  it('never repeats within a process', () => {
    const groups = new Set(Array.from({ length: 1000 }, () => randomGroup('ebpftest')));
    expect(groups.size).toBe(1000);
  });

  it('validates the prefix (cilium TestKprobeTraceFSGroup)', () => {
    expect(randomGroup('ebpftest')).toMatch(/^ebpftest_\d+_/);
    expect(randomGroup('my_tool')).toMatch(/^my_tool_\d+_/);
    for (const bad of ['/', '1abc', 'trace-group', '', 'a b']) {
      expect(() => randomGroup(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => randomGroup('/')).toThrow("prefix '/' must be alphanumeric or underscore");
    expect(() => randomGroup('p'.repeat(47))).toThrow(/group name 'p{47}_.*' cannot be longer than 63 characters/);
  });
});

describe('parseGroupOwner', () => {
  it('only reads groups made with the same prefix', () => {
    expect(parseGroupOwner('bpfkit_12_1a_effffffc_0000abcd')).toEqual({ pid: 12, startTime: 0x1an, pidNamespace: INIT_PID_NS });
    expect(parseGroupOwner('my_tool_12_1a_effffffc_0000abcd', 'my_tool')?.pid).toBe(12);
    expect(parseGroupOwner('my_tool_12_1a_effffffc_0000abcd')).toBeUndefined();
    expect(parseGroupOwner('xbpfkit_12_1a_effffffc_0000abcd')).toBeUndefined();
    expect(parseGroupOwner('ebpf_0123456789abcdef', 'ebpf')).toBeUndefined();
    expect(parseGroupOwner('bpfkit_0_1a_effffffc_0000abcd')).toBeUndefined();
    expect(parseGroupOwner('bpfkit_12_1a_effffffc_abcd')).toBeUndefined();
    expect(parseGroupOwner('syscalls')).toBeUndefined();
  });
});

describe('OwnerChecker', () => {
  it('sees this process alive and a reused PID (same PID, other start time) as dead', () => {
    const checker = new OwnerChecker();
    const me = currentOwner();
    expect(checker.state(me)).toBe('alive');
    expect(checker.state({ ...me, startTime: me.startTime + 1n })).toBe('dead');
  });

  it('sees an exited process as dead', () => {
    const child = spawnSync('true');
    expect(child.status).toBe(0);
    expect(new OwnerChecker().state({ pid: child.pid!, startTime: 1n, pidNamespace: currentOwner().pidNamespace })).toBe('dead');
  });

  it('sees a zombie as dead', async () => {
    // sh forks `sleep 0`, then becomes `sleep 5`, which never reaps it.
    const sh = spawn('sh', ['-c', 'sleep 0 & exec sleep 5']);
    started.push(sh);
    const zombie = await until(() => {
      const kids = childrenOf(sh.pid!);
      return kids.length && readFileSync(`/proc/${kids[0]}/stat`, 'utf8').includes(') Z ') ? kids[0] : undefined;
    });
    const owner = { pid: zombie, startTime: startTimeOf(zombie), pidNamespace: currentOwner().pidNamespace };
    expect(new OwnerChecker().state(owner)).toBe('dead');
  });

  it('does not judge owners whose PID namespace is unknown', () => {
    expect(new OwnerChecker().state({ pid: process.pid, startTime: 0n, pidNamespace: 0 })).toBe('unknown');
    expect(new OwnerChecker({ pid: 1, startTime: 0n, pidNamespace: 0 }).state(currentOwner())).toBe('unknown');
  });

  it('calls a foreign PID namespace dead only when no process lives in it, and only from the initial namespace', async (ctx) => {
    requireRoot(ctx);
    const me = currentOwner();
    const gone = { pid: 1, startTime: 1n, pidNamespace: 1 };
    expect(new OwnerChecker().state(gone)).toBe(me.pidNamespace === INIT_PID_NS ? 'dead' : 'unknown');
    expect(new OwnerChecker({ ...me, pidNamespace: me.pidNamespace + 1 }).state(gone)).toBe('unknown');

    const unshare = spawn('unshare', ['--pid', '--fork', 'sleep', '30']);
    started.push(unshare);
    const inner = await until(() => childrenOf(unshare.pid!)[0]);
    const ns = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${inner}/ns/pid`))![1]);
    expect(ns).not.toBe(me.pidNamespace);
    // PID 1 of that namespace is `sleep`: its PID means nothing here, so it is left alone.
    expect(new OwnerChecker().state({ pid: 1, startTime: 1n, pidNamespace: ns })).toBe('unknown');
  });
});
