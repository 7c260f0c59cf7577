import { readFileSync } from 'node:fs';
import { InvalidArgumentError, isNotExist, SyscallError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '@bpfkit/testing';
import { eventID } from './event-id.js';
import { tracefsPath } from './path.js';

describe('eventID', () => {
  it('reads a tracepoint ID (cilium TestEventID)', (ctx) => {
    requireRoot(ctx);
    const id = eventID('syscalls', 'sys_enter_mmap');
    expect(id).toBeGreaterThan(0);
    expect(id).toBe(Number(readFileSync(`${tracefsPath()}/events/syscalls/sys_enter_mmap/id`, 'utf8')));
    expect(eventID('sched', 'sched_switch', { tracefs: tracefsPath() })).not.toBe(id);
  });

  it('gives ENOENT for an event that does not exist', (ctx) => {
    requireRoot(ctx);
    let err: unknown;
    try {
      eventID('syscalls', 'sys_enter_no_such_call');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).code).toBe('ENOENT');
    expect(isNotExist(err)).toBe(true);
    expect((err as Error).message).toMatch(/^reading trace event ID of syscalls\/sys_enter_no_such_call: read\(/);
  });

  it.each([
    ['', 'x'],
    ['x', ''],
    ['..', 'x'],
    ['syscalls', '../../../../etc/passwd'],
    ['1abc', 'x'],
    ['a/b', 'x'],
    ['-EINVAL', 'x'],
  ])('rejects group %j name %j before touching tracefs', (group, name) => {
    expect(() => eventID(group, name, { tracefs: '/nonexistent' })).toThrow(InvalidArgumentError);
  });
});
