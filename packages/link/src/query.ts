import { Errno, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { attachTypeNumber, targetNumber, type AttachTarget } from './target.js';

export interface QueryOptions {
  /** fd (cgroup, netns) or ifindex (TCX, netkit). */
  target: AttachTarget;
  attach: number;
  /** e.g. QueryFlags.Effective for cgroups. */
  queryFlags?: number;
}

export interface AttachedProgram {
  id: number;
  /** The link the program is attached through; absent when attached without one. */
  linkId?: number;
}

export interface QueryResult {
  /** The hook's revision (mprog hooks count from 1; others report 0). */
  revision: bigint;
  programs: AttachedProgram[];
}

/** BPF_PROG_QUERY: the programs attached at a hook, in order, with their link IDs where the hook has them. */
export function queryPrograms(opts: QueryOptions): QueryResult {
  const what = 'query programs';
  const targetFd = targetNumber(opts.target, what);
  const attachType = attachTypeNumber(opts.attach, what);
  const base = { targetFd, attachType, queryFlags: opts.queryFlags };
  try {
    for (;;) {
      const first = sys.progQuery(base);
      if (first.count === 0) return { revision: first.revision, programs: [] };
      // Link IDs exist only on mprog hooks, which have a revision.
      const haveLinkIds = first.revision !== 0n;
      const progIds = new Uint32Array(first.count);
      const linkIds = haveLinkIds ? new Uint32Array(first.count) : undefined;
      let second: sys.ProgQueryResult;
      try {
        second = sys.progQuery({ ...base, progIds, linkIds });
      } catch (err) {
        // Programs were attached between the two calls: ask again.
        if (err instanceof SyscallError && err.errno === Errno.ENOSPC) continue;
        throw err;
      }
      const n = Math.min(second.count, progIds.length);
      const programs = Array.from(progIds.subarray(0, n), (id, i) => (linkIds?.[i] ? { id, linkId: linkIds[i] } : { id }));
      return { revision: second.revision, programs };
    }
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    // An old kernel is reported as NotSupportedError by the probe, not as its errno.
    sys.haveProgQuery();
    throw err.withContext(`${what} (attach type ${attachType}) of target ${targetFd}`);
  }
}
