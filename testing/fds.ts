import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';

/** The process's open descriptors and what each points at (`anon_inode:bpf-map`, a path, ...). */
export function openFds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      out.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // The descriptor readdir itself used, already closed.
    }
  }
  return out;
}

/** Descriptors open now that were not open (or pointed elsewhere) in `before`, as `fd -> target`. */
export function leakedSince(before: Map<number, string>): string[] {
  return [...openFds()].filter(([fd, target]) => before.get(fd) !== target).map(([fd, target]) => `${fd} -> ${target}`);
}

/** Run `fn` (expected to throw or succeed) and assert it left no new descriptor open. */
export function expectNoFdLeak(fn: () => void): void {
  const before = openFds();
  try {
    fn();
  } catch {
    // The caller asserts the error separately; here only leaks matter.
  }
  expect(leakedSince(before)).toEqual([]);
}

/**
 * Inside a describe block: snapshot the descriptors before its tests and assert afterwards that
 * none was left open. Call it first in the block, so later afterAll hooks (removing pin
 * directories and the like) run before the check.
 */
export function checkFdLeaks(): void {
  let before = new Map<number, string>();
  beforeAll(() => {
    before = openFds();
  });
  afterAll(() => {
    expect(leakedSince(before)).toEqual([]);
  });
}
