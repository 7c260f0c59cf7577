import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, isNotExist, NotSupportedError, SyscallError } from '@bpfkit/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, thrown } from '@bpfkit/testing';
import { eventID } from './event-id.js';
import { currentOwner, parseGroupOwner, randomGroup } from './owner.js';
import { tracefsPath } from './path.js';
import type { ProbeEvent } from './probe-event.js';
import { groupListed, ownGroupsListed, uprobeEventLines } from './testing/events.js';
import { buildTarget, type Target } from './testing/target.js';
import { createUprobeEvent, type UprobeEventOptions, uprobeToken } from './uprobe.js';

let target: Target;
const groups: string[] = [];

beforeAll(() => {
  target = buildTarget();
});

afterAll(() => {
  target?.remove();
  if (process.getuid?.() !== 0) return;
  // Nothing this suite created may outlive it.
  expect(groups.filter(groupListed)).toEqual([]);
  expect(ownGroupsListed()).toEqual([]);
});

function create(options: Partial<UprobeEventOptions> = {}): ProbeEvent {
  const group = options.group ?? randomGroup();
  groups.push(group);
  return createUprobeEvent({ path: target.path, offset: target.functionOffset, ...options, group });
}

function hex16(n: bigint): string {
  return `0x${n.toString(16).padStart(16, '0')}`;
}

describe('uprobeToken (cilium TestUprobeToken)', () => {
  it.each([
    [0, 0, '/bin/bash:0x0'],
    [1, 0, '/bin/bash:0x1'],
    [65535, 0, '/bin/bash:0xffff'],
    [65536, 0, '/bin/bash:0x10000'],
    [1, 1, '/bin/bash:0x1(0x1)'],
    [1, 0xffff, '/bin/bash:0x1(0xffff)'],
    [(1n << 64n) - 1n, 0, '/bin/bash:0xffffffffffffffff'],
  ])('offset %s refctr %s → %s', (offset, ref, token) => {
    expect(uprobeToken('/bin/bash', offset, ref)).toBe(token);
  });
});

describe('createUprobeEvent on the real kernel', () => {
  it('creates an entry uprobe, lists it with its ID, and removes it on close', (ctx) => {
    requireRoot(ctx);
    const ev = create({ symbol: 'bpfkit_target' });
    expect(ev.type).toBe('uprobe');
    expect(ev.name).toBe('bpfkit_target');
    expect(parseGroupOwner(ev.group)).toEqual(currentOwner());
    expect(ev.id).toBeGreaterThan(0);
    expect(eventID(ev.group, ev.name)).toBe(ev.id);
    expect(uprobeEventLines()).toContain(`p:${ev.group}/${ev.name} ${target.path}:${hex16(target.functionOffset)}`);
    const dir = join(tracefsPath(), 'events', ev.group, ev.name);
    expect(existsSync(join(dir, 'id'))).toBe(true);

    ev.close();
    expect(ev.closed).toBe(true);
    expect(groupListed(ev.group)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(isNotExist(thrown(() => eventID(ev.group, ev.name)))).toBe(true);
    ev.close();
  });

  it('takes the place as fileOffset (offset is its old name), and refuses the two disagreeing', (ctx) => {
    requireRoot(ctx);
    const group = randomGroup();
    groups.push(group);
    using ev = createUprobeEvent({ path: target.path, fileOffset: target.functionOffset, group, symbol: 'bpfkit_file_offset' });
    expect(uprobeEventLines()).toContain(`p:${ev.group}/${ev.name} ${target.path}:${hex16(target.functionOffset)}`);
    const err = thrown(() => createUprobeEvent({ path: target.path, fileOffset: 1, offset: 2, group: randomGroup() }));
    expect(err).toEqual(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'offset' }));
  });

  it('creates a return uprobe and removes it through Symbol.dispose', (ctx) => {
    requireRoot(ctx);
    const ev = create({ ret: true });
    expect(ev.name).toBe(`target_0x${target.functionOffset.toString(16)}`);
    expect(uprobeEventLines()).toContain(`r:${ev.group}/${ev.name} ${target.path}:${hex16(target.functionOffset)}`);
    expect(existsSync(join(tracefsPath(), 'events', ev.group, ev.name, 'id'))).toBe(true);
    ev[Symbol.dispose]();
    expect(groupListed(ev.group)).toBe(false);
  });

  it('appends: creating an event leaves the existing ones in place', (ctx) => {
    requireRoot(ctx);
    const a = create({ symbol: 'first' });
    const b = create({ symbol: 'second', ret: true, offset: Number(target.functionOffset) });
    expect(groupListed(a.group)).toBe(true);
    expect(groupListed(b.group)).toBe(true);
    a.close();
    expect(groupListed(b.group)).toBe(true);
    b.close();
    expect(groupListed(b.group)).toBe(false);
  });

  it('creates entry and return uprobes with a ref_ctr_offset', (ctx) => {
    requireRoot(ctx);
    const ref = target.semaphoreOffset;
    const entry = create({ refCtrOffset: ref, symbol: 'with_semaphore' });
    const ret = create({ refCtrOffset: Number(ref), symbol: 'with_semaphore', ret: true });
    const lines = uprobeEventLines();
    const place = `${target.path}:${hex16(target.functionOffset)}(0x${ref.toString(16)})`;
    expect(lines).toContain(`p:${entry.group}/with_semaphore ${place}`);
    expect(lines).toContain(`r:${ret.group}/with_semaphore ${place}`);
    expect(eventID(ret.group, 'with_semaphore')).toBe(ret.id);
    expect(ret.id).not.toBe(entry.id);

    // Every probe at one file offset must agree on the semaphore.
    const group = randomGroup();
    groups.push(group);
    const err = thrown(() => createUprobeEvent({ path: target.path, offset: target.functionOffset, group }));
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).code).toBe('EINVAL');
    expect((err as SyscallError).hint).toContain('ref_ctr_offset');
    expect(groupListed(group)).toBe(false);

    entry.close();
    ret.close();
    expect(groupListed(entry.group) || groupListed(ret.group)).toBe(false);
  });

  it('refuses a second event with the same group and name (cilium TestNewEvent)', (ctx) => {
    requireRoot(ctx);
    const ev = create({ symbol: 'dup' });
    const err = thrown(() => createUprobeEvent({ path: target.path, offset: 0, symbol: 'dup', group: ev.group }));
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).code).toBe('EEXIST');
    expect((err as Error).message).toMatch(new RegExp(`^trace event ${ev.group}/dup: file already exists`));
    expect(uprobeEventLines().filter((l) => l.includes(`${ev.group}/`))).toHaveLength(1);
    ev.close();
    ev.close();
  });

  it('accepts paths with ":", "(", "%" and quotes, which this kernel parses', (ctx) => {
    requireRoot(ctx);
    const dir = join(target.dir, `odd:dir(1)%'"`);
    mkdirSync(dir);
    const path = join(dir, 'target');
    copyFileSync(target.path, path);
    const ev = create({ path, refCtrOffset: 0 });
    expect(uprobeEventLines()).toContain(`p:${ev.group}/${ev.name} ${path}:${hex16(target.functionOffset)}`);
    ev.close();
    expect(groupListed(ev.group)).toBe(false);
  });
});

describe('createUprobeEvent errors', () => {
  it('reports a missing file with the kernel error_log message (ENOENT)', (ctx) => {
    requireRoot(ctx);
    const group = randomGroup();
    groups.push(group);
    const path = join(target.dir, 'missing');
    const err = thrown(() => createUprobeEvent({ path, offset: 0x1000, group }));
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).code).toBe('ENOENT');
    expect(isNotExist(err)).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^token ${path}:0x1000: not found: write\\(`));
    expect((err as SyscallError).hint).toBe(`kernel: Failed to find the given file (at '${path}:0x1000')`);
    expect(groupListed(group)).toBe(false);
  });

  it('reports a directory with the kernel error_log message (EINVAL)', (ctx) => {
    requireRoot(ctx);
    const group = randomGroup();
    groups.push(group);
    const err = thrown(() => createUprobeEvent({ path: target.dir, offset: 1, group }));
    expect((err as SyscallError).code).toBe('EINVAL');
    expect((err as SyscallError).hint).toMatch(/^kernel: Not a regular file/);
    expect(groupListed(group)).toBe(false);
  });

  const bad: [string, (t: Target) => Partial<UprobeEventOptions>, RegExp][] = [
    ['a relative path', () => ({ path: 'bin/true' }), /must be absolute/],
    ['an empty path', () => ({ path: '' }), /path cannot be empty/],
    ['a path with a space', (t) => ({ path: `${t.dir}/with space` }), /whitespace, '#' or a control character/],
    ['a path with a tab', (t) => ({ path: `${t.dir}/with\ttab` }), /tracefs cannot parse/],
    ['a path with a newline', (t) => ({ path: `${t.dir}/x\np:evil/e /bin/true:0x0` }), /tracefs cannot parse/],
    ['a path with #', (t) => ({ path: `${t.dir}/a#b` }), /tracefs cannot parse/],
    ['a path with NUL', (t) => ({ path: `${t.dir}/a\0b` }), /tracefs cannot parse/],
    ['an over-long path', (t) => ({ path: `${t.dir}/${'x'.repeat(4100)}` }), /too long/],
    ['a missing offset', () => ({ offset: undefined }), /file offset is required/],
    ['a negative offset', () => ({ offset: -1 }), /offset/],
    ['a fractional offset', () => ({ offset: 1.5 }), /offset/],
    ['an offset above 2^64-1', () => ({ offset: 1n << 64n }), /offset/],
    ['a negative refCtrOffset', () => ({ refCtrOffset: -1n }), /refCtrOffset/],
    ['a group starting with a digit', () => ({ group: '1group' }), /group name '1group'/],
    ['a group with a hyphen', () => ({ group: 'my-group' }), /alphanumeric or underscore/],
    ['a group with a slash', () => ({ group: 'a/b' }), /alphanumeric or underscore/],
    ['a group of 64 characters', () => ({ group: 'g'.repeat(64) }), /cannot be longer than 63/],
    ['an empty symbol', () => ({ symbol: '' }), /symbol name cannot be empty/],
    ['a non-boolean ret', () => ({ ret: 'yes' as unknown as boolean }), /ret/],
  ];

  it.each(bad)('rejects %s with InvalidArgumentError before writing anything', (_, options, message) => {
    const before = ownGroupsListed();
    const err = thrown(() =>
      createUprobeEvent({ path: target.path, offset: target.functionOffset, ...options(target) } as UprobeEventOptions),
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(message);
    if (process.getuid?.() === 0) expect(ownGroupsListed()).toEqual(before);
  });

  it('rejects a non-object', () => {
    expect(() => createUprobeEvent(undefined as unknown as UprobeEventOptions)).toThrow(InvalidArgumentError);
  });

  it('reports a directory that is not tracefs as lacking uprobe events', () => {
    const dir = mkdtempSync(join(target.dir, 'not-tracefs-'));
    try {
      const err = thrown(() => createUprobeEvent({ path: target.path, offset: 1, tracefs: dir }));
      expect(err).toBeInstanceOf(NotSupportedError);
      expect((err as NotSupportedError).feature).toBe('uprobe events');
      expect((err as NotSupportedError).missingConfig).toBe('CONFIG_UPROBE_EVENTS');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
