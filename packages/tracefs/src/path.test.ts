import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { requireRoot } from '@bpfkit/testing';
import { findTracefsInMounts, type MountInfoEntry, parseMountInfo, tracefsFile, tracefsPath } from './path.js';

const TRACEFS_MAGIC = 0x74726163;
const scratch = mkdtempSync(join(tmpdir(), 'bpfkit-tracefs-path-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('parseMountInfo', () => {
  it('reads root, mount point and type, skipping optional fields and decoding octal escapes', () => {
    const text = [
      '43 23 0:13 / /sys/kernel/tracing rw,relatime shared:7 master:1 - tracefs tracefs rw',
      '44 23 0:8 / /mnt/with\\040space\\011tab\\134back rw,relatime - debugfs debugfs rw',
      '45 23 0:9 /sub /mnt/bind rw - tracefs tracefs rw',
      'garbage',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { root: '/', mountPoint: '/sys/kernel/tracing', fsType: 'tracefs' },
      { root: '/', mountPoint: '/mnt/with space\ttab\\back', fsType: 'debugfs' },
      { root: '/sub', mountPoint: '/mnt/bind', fsType: 'tracefs' },
    ]);
  });
});

describe('findTracefsInMounts (cilium TestFindTracefsInEntries)', () => {
  const e = (mountPoint: string, fsType: string, root = '/'): MountInfoEntry => ({ root, mountPoint, fsType });
  const hasTracing = (p: string) => p === '/d1/tracing' || p === '/d2/tracing';

  it('prefers tracefs over debugfs, and the first tracefs wins', () => {
    expect(findTracefsInMounts([e('/d1', 'debugfs'), e('/t1', 'tracefs'), e('/t2', 'tracefs')], hasTracing)).toBe('/t1');
  });
  it('takes debugfs only when it has a tracing/ directory', () => {
    expect(findTracefsInMounts([e('/d0', 'debugfs'), e('/d2', 'debugfs')], hasTracing)).toBe('/d2/tracing');
    expect(findTracefsInMounts([e('/d0', 'debugfs')], hasTracing)).toBeUndefined();
  });
  it('skips bind mounts of sub-directories', () => {
    expect(findTracefsInMounts([e('/t1', 'tracefs', '/instances'), e('/t2', 'tracefs')], hasTracing)).toBe('/t2');
    expect(findTracefsInMounts([e('/d1', 'debugfs', '/x')], hasTracing)).toBeUndefined();
  });
  it('finds nothing in nothing', () => {
    expect(findTracefsInMounts([])).toBeUndefined();
  });
});

describe('tracefsPath', () => {
  it('returns the mounted tracefs, the same every time', (ctx) => {
    requireRoot(ctx);
    const path = tracefsPath();
    expect(statfsSync(path).type).toBe(TRACEFS_MAGIC);
    expect(tracefsPath()).toBe(path);
  });

  it('decodes the escapes the kernel writes for a mount point with a space and a tab', (ctx) => {
    requireRoot(ctx);
    const target = join(scratch, 'trace fs\there');
    mkdirSync(target);
    execFileSync('mount', ['-t', 'tracefs', 'tracefs', target]);
    try {
      // The kernel's own line for this mount, with its \040 and \011 escapes.
      const line = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .find((l) => l.includes('trace\\040fs\\011here'));
      expect(line).toBeDefined();
      const mountInfo = join(scratch, 'mountinfo-escaped');
      writeFileSync(mountInfo, `${line}\n`);
      expect(tracefsPath({ mountInfo, candidates: [] })).toBe(target);
      expect(statfsSync(target).type).toBe(TRACEFS_MAGIC);
    } finally {
      execFileSync('umount', [target]);
    }
  });

  it('does not trust a mountinfo line that statfs contradicts', () => {
    const fake = join(scratch, 'fake-tracefs');
    mkdirSync(fake, { recursive: true });
    const mountInfo = join(scratch, 'mountinfo-lies');
    writeFileSync(mountInfo, `1 0 0:1 / ${fake} rw - tracefs tracefs rw\n`);
    expect(() => tracefsPath({ mountInfo, candidates: [fake] })).toThrow(NotSupportedError);
  });

  it('throws NotSupportedError with the mount command when nothing is mounted', () => {
    const mountInfo = join(scratch, 'mountinfo-empty');
    writeFileSync(mountInfo, '');
    const dir = join(scratch, 'not-tracefs');
    mkdirSync(dir, { recursive: true });
    let err: unknown;
    try {
      tracefsPath({ mountInfo, candidates: [dir, join(scratch, 'missing')] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as NotSupportedError).feature).toBe('tracefs');
    expect((err as Error).message).toContain('neither debugfs nor tracefs are mounted');
    expect((err as Error).message).toContain('mount -t tracefs tracefs /sys/kernel/tracing');
  });

  it('survives a missing mountinfo file', (ctx) => {
    requireRoot(ctx);
    expect(tracefsPath({ mountInfo: join(scratch, 'nope'), candidates: ['/sys/kernel/tracing'] })).toBe('/sys/kernel/tracing');
  });
});

describe('tracefsFile (cilium TestSanitizePath)', () => {
  it('refuses paths that leave the base', () => {
    expect(() => tracefsFile('/sys/kernel/tracing', '../escaped')).toThrow(InvalidArgumentError);
    expect(() => tracefsFile('/sys/kernel/tracing', 'events', '..', '..', 'x')).toThrow(
      "path 'events/../../x' attempts to escape base path '/sys/kernel/tracing'",
    );
    expect(() => tracefsFile('/sys/kernel/tracing', '/etc/passwd')).toThrow(InvalidArgumentError);
  });
  it('joins paths that stay inside', () => {
    expect(tracefsFile('/sys/kernel/tracing', './not/escaped')).toBe('/sys/kernel/tracing/not/escaped');
    expect(tracefsFile('/sys/kernel/tracing', 'events', 'a..b', 'id')).toBe('/sys/kernel/tracing/events/a..b/id');
  });
});
