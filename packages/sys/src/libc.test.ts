import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SyscallError } from '@bpfkit/errors';
import { getpid, getsid } from './libc.js';

describe('getpid and getsid', () => {
  it('getpid is this process; getsid of it is its session, and of no process ESRCH', () => {
    expect(getpid()).toBe(process.pid);
    const sid = getsid(getpid());
    // The kernel's own view: field 6 of /proc/self/stat (0 for processes of init's session, as in the VMs).
    const stat = readFileSync('/proc/self/stat', 'utf8');
    expect(sid).toBe(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]));
    expect(getsid(0)).toBe(sid);
    let err: unknown;
    try {
      getsid(0x3fffffff);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).code).toBe('ESRCH');
  });
});
