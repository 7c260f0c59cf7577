import { readdirSync, readlinkSync } from 'node:fs';
import { expect } from 'vitest';

/** The process's open descriptors and what they point at. */
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

/** Run `fn` (expected to throw or succeed) and assert it left no new descriptor open. */
export function expectNoFdLeak(fn: () => void): void {
  const before = openFds();
  try {
    fn();
  } catch {
    // The caller asserts the error separately; here only leaks matter.
  }
  const leaked = [...openFds()].filter(([fd, target]) => before.get(fd) !== target);
  expect(leaked).toEqual([]);
}

/** Force a full GC (vitest runs without --expose-gc). */
export async function collectGarbage(): Promise<void> {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}
