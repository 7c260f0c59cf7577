import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { requireRoot, skipUnsupported, thrown } from '@bpfkit/testing';
import { eventID } from './event-id.js';
import { createKprobeEvent, type KprobeEventOptions, kprobeToken } from './kprobe.js';
import { randomGroup } from './owner.js';
import { tracefsPath } from './path.js';
import type { ProbeEvent } from './probe-event.js';

const scratch = mkdtempSync(join(tmpdir(), 'bpfkit-tracefs-kprobe-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function kprobeLines(): string[] {
  return readFileSync(join(tracefsPath(), 'kprobe_events'), 'utf8').split('\n').filter(Boolean);
}

describe('kprobeToken (cilium TestKprobeToken)', () => {
  it.each([
    [0, 'symbol'],
    [1, 'symbol+0x1'],
    [65535, 'symbol+0xffff'],
    [65536, 'symbol+0x10000'],
    [0x10000n, 'symbol+0x10000'],
  ])('offset %s → %s', (offset, token) => {
    expect(kprobeToken('symbol', offset)).toBe(token);
  });
});

describe('createKprobeEvent input checks', () => {
  const empty = mkdtempSync(join(scratch, 'not-tracefs-'));

  it.each<[string, Partial<KprobeEventOptions>, RegExp]>([
    ['an empty symbol', { symbol: '' }, /symbol name cannot be empty/],
    ['a symbol with a space', { symbol: 'foo bar' }, /must be a valid symbol in \/proc\/kallsyms/],
    ['a symbol with a slash', { symbol: 'a/b' }, /valid symbol/],
    ['a symbol with +', { symbol: 'vprintk+4' }, /valid symbol/],
    ['a symbol with #', { symbol: 'vprintk#' }, /valid symbol/],
    ['a symbol starting with a digit', { symbol: '1abc' }, /valid symbol/],
    ['a 512-character symbol', { symbol: 'x'.repeat(512) }, /valid symbol/],
    ['maxActive on an entry probe', { maxActive: 4 }, /can only set maxactive on kretprobes/],
    ['a negative maxActive', { ret: true, maxActive: -1 }, /maxActive/],
    ['maxActive above 4096', { ret: true, maxActive: 4097 }, /maxActive/],
    ['a negative offset', { offset: -4 }, /offset/],
    ['a bad group', { group: 'no-hyphens' }, /group name/],
    ['a non-boolean ret', { ret: 1 as unknown as boolean }, /ret/],
  ])('rejects %s with InvalidArgumentError', (_, options, message) => {
    const err = thrown(() => createKprobeEvent({ symbol: 'vprintk', ...options, tracefs: empty }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(message);
  });

  it.each(['vprintk', 'nf_conntrack:nf_ct_delete', 'foo.isra.0', '__x64_sys_open'])(
    'accepts %s and then finds no kprobe_events in a directory that is not tracefs',
    (symbol) => {
      const err = thrown(() => createKprobeEvent({ symbol, tracefs: empty }));
      expect(err).toBeInstanceOf(NotSupportedError);
      expect((err as NotSupportedError).feature).toBe('kprobe events');
      expect((err as NotSupportedError).missingConfig).toBe('CONFIG_KPROBES');
      expect((err as Error).message).toContain('the kernel has no kprobe events');
    },
  );
});

describe('createKprobeEvent on the real kernel', () => {
  it('creates kprobe, kretprobe and maxactive kretprobe events, or reports missing CONFIG_KPROBES', (ctx) => {
    requireRoot(ctx);
    const events: ProbeEvent[] = [];
    try {
      events.push(createKprobeEvent({ symbol: 'vprintk' }));
    } catch (err) {
      // This is what a kernel without CONFIG_KPROBES (the test machine) must say.
      expect(err).toBeInstanceOf(NotSupportedError);
      expect((err as NotSupportedError).missingConfig).toBe('CONFIG_KPROBES');
      expect(existsSync(join(tracefsPath(), 'kprobe_events'))).toBe(false);
      skipUnsupported(ctx, err);
    }
    try {
      events.push(createKprobeEvent({ symbol: 'vprintk', ret: true }));
      events.push(createKprobeEvent({ symbol: 'vprintk', ret: true, maxActive: 16 }));
      events.push(createKprobeEvent({ symbol: 'vprintk', offset: 0 }));
      const lines = kprobeLines();
      expect(lines).toContain(`p:${events[0]!.group}/vprintk vprintk`);
      // A kretprobe lists its maxactive: the kernel's default (max(10, 2 * CPUs)) when none was
      // given, e.g. `r10:`, and `r:` only on kernels before 4.12.
      expect(lines.filter((l) => new RegExp(`^r\\d*:${events[1]!.group}/vprintk vprintk$`).test(l))).toHaveLength(1);
      expect(lines).toContain(`r16:${events[2]!.group}/vprintk vprintk`);
      expect(lines).toContain(`p:${events[3]!.group}/vprintk vprintk`);
      for (const ev of events) expect(eventID(ev.group, ev.name)).toBe(ev.id);
    } finally {
      for (const ev of events) ev.close();
    }
    for (const ev of events) expect(kprobeLines().some((l) => l.includes(`${ev.group}/`))).toBe(false);
  });
});

describe('createKprobeEvent commands (a plain directory stands in for tracefs)', () => {
  // Without CONFIG_KPROBES the kernel cannot show these paths; the files record the bytes written.
  function fakeTracefs(): string {
    const dir = mkdtempSync(join(scratch, 'fake-'));
    writeFileSync(join(dir, 'kprobe_events'), 'p:other/existing do_exit\n');
    mkdirSync(join(dir, 'events'));
    return dir;
  }

  it('appends one command per write and removes the event when its ID cannot be read', () => {
    const dir = fakeTracefs();
    const group = randomGroup();
    const err = thrown(() => createKprobeEvent({ symbol: 'vprintk', offset: 4, group, tracefs: dir }));
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).code).toBe('ENOENT');
    expect((err as Error).message).toMatch(/^get trace event id: read\(/);
    expect(readFileSync(join(dir, 'kprobe_events'), 'utf8')).toBe(
      `p:other/existing do_exit\np:${group}/vprintk vprintk+0x4-:${group}/vprintk`,
    );
  });

  it('removes the kprobes/r_<sym>_<off> event that kernels before 4.12 create for maxactive', () => {
    const dir = fakeTracefs();
    const group = randomGroup();
    const err = thrown(() => createKprobeEvent({ symbol: 'vprintk', ret: true, maxActive: 16, offset: 4, group, tracefs: dir }));
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as NotSupportedError).minimumKernel).toBe('4.12');
    expect((err as Error).message).toMatch(/^trace event with non-default maxactive not supported \(requires >= v4\.12\)/);
    expect(readFileSync(join(dir, 'kprobe_events'), 'utf8')).toBe(
      `p:other/existing do_exit\nr16:${group}/vprintk vprintk+0x4-:kprobes/r_vprintk_4`,
    );
  });

  it('checks for an existing event first', () => {
    const dir = fakeTracefs();
    const group = randomGroup();
    mkdirSync(join(dir, 'events', group, 'vprintk'), { recursive: true });
    writeFileSync(join(dir, 'events', group, 'vprintk', 'id'), '1234\n');
    const err = thrown(() => createKprobeEvent({ symbol: 'vprintk', group, tracefs: dir }));
    expect((err as SyscallError).code).toBe('EEXIST');
    expect((err as Error).message).toMatch(new RegExp(`^trace event ${group}/vprintk: file already exists`));
    expect(readFileSync(join(dir, 'kprobe_events'), 'utf8')).toBe('p:other/existing do_exit\n');
  });
});
