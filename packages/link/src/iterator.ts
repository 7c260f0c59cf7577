import { Errno, isNotExist, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import type { RawLink } from './link.js';
import { newFromID } from './wrap.js';

/**
 * Every link in the system, in ID order, each opened for the caller (who closes it). A link that
 * goes away between finding its ID and opening it (ENOENT), or that another process is still
 * creating or already tearing down (EAGAIN: its ID is reserved but not settled), is skipped.
 */
export function* iterateLinks(): IterableIterator<RawLink> {
  let id = 0;
  for (;;) {
    let next: number | undefined;
    try {
      next = sys.linkGetNextId(id);
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext('get next link ID') : err;
    }
    if (next === undefined) return;
    id = next;
    let link: RawLink;
    try {
      link = newFromID(next);
    } catch (err) {
      if (isNotExist(err) || (err instanceof SyscallError && err.errno === Errno.EAGAIN)) continue;
      throw err;
    }
    yield link;
  }
}
