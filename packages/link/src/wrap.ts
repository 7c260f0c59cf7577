import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { CgroupLink } from './cgroup.js';
import { Iter } from './iter.js';
import { KprobeMultiLink } from './kprobe-multi.js';
import { RawLink, type RawLinkInit } from './link.js';
import { NetfilterLink } from './netfilter.js';
import { NetkitLink } from './netkit.js';
import { NetNsLink } from './netns.js';
import { PerfEventLink } from './perf-event.js';
import { RawTracepointLink } from './raw-tracepoint.js';
import { StructOpsLink } from './struct-ops.js';
import { TCXLink } from './tcx.js';
import { TracingLink } from './tracing.js';
import { UprobeMultiLink } from './uprobe-multi.js';
import { XDPLink } from './xdp.js';

// Kept apart from link.ts: every kind's class extends RawLink, so link.ts cannot import them.
const KINDS: Partial<Record<number, new (fd: sys.FD, init?: RawLinkInit) => RawLink>> = {
  [sys.LinkType.RawTracepoint]: RawTracepointLink,
  [sys.LinkType.Tracing]: TracingLink,
  [sys.LinkType.Cgroup]: CgroupLink,
  [sys.LinkType.Iter]: Iter,
  [sys.LinkType.NetNs]: NetNsLink,
  [sys.LinkType.XDP]: XDPLink,
  [sys.LinkType.PerfEvent]: PerfEventLink,
  [sys.LinkType.KprobeMulti]: KprobeMultiLink,
  [sys.LinkType.StructOps]: StructOpsLink,
  [sys.LinkType.Netfilter]: NetfilterLink,
  [sys.LinkType.TCX]: TCXLink,
  [sys.LinkType.UprobeMulti]: UprobeMultiLink,
  [sys.LinkType.Netkit]: NetkitLink,
};

type LinkClass = new (fd: sys.FD, init?: RawLinkInit) => RawLink;

/** The class of the link's kind by its info type; RawLink for a type bpfkit does not know. */
function kindOf(fd: number): LinkClass {
  let type: number;
  try {
    type = sys.linkInfo(fd).type;
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext('link info') : err;
  }
  return KINDS[type] ?? RawLink;
}

/** Wraps an owned link fd in its kind's class (cilium's wrapRawLink); closes `fd` on error. */
export function wrapRawLink(fd: sys.FD, pinnedPath?: string): RawLink {
  let Kind: LinkClass;
  try {
    Kind = kindOf(fd.fd);
  } catch (err) {
    fd.close();
    throw err;
  }
  return new Kind(fd, { pinnedPath });
}

/**
 * Wrap an existing link fd in its kind's class. On success the link owns `fd`; on error (not a
 * link, or no info) the caller still does.
 */
export function newFromFD(fd: number): RawLink {
  if (!Number.isInteger(fd) || fd < 0) throw new InvalidArgumentError('fd', `${fd} is not a file descriptor`);
  const kind = sys.bpfObjectKind(fd);
  if (kind !== 'link') throw new InvalidArgumentError('fd', `fd ${fd} is ${kind ? `a BPF ${kind}` : 'not a BPF object'}, not a link`);
  const Kind = kindOf(fd);
  return new Kind(new sys.FD(fd, 'link'));
}

/** Open a link by its ID (BPF_LINK_GET_FD_BY_ID); ENOENT when there is none. */
export function newFromID(id: number): RawLink {
  if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) throw new InvalidArgumentError('id', `${id} is not a link ID`);
  let fd: sys.FD;
  try {
    fd = sys.linkGetFdById(id);
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext(`get link fd from ID ${id}`) : err;
  }
  return wrapRawLink(fd);
}

export interface LoadPinOptions {
  readOnly?: boolean;
  writeOnly?: boolean;
  /** Raw BPF_OBJ_GET file_flags; overrides readOnly/writeOnly. */
  flags?: number;
}

/** Open a pinned link; it remembers the pin (unpin() removes it). */
export function loadPinnedLink(path: string, opts: LoadPinOptions = {}): RawLink {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', 'load pinned link: the path must be a non-empty string');
  const flags = opts.flags ?? ((opts.readOnly ? sys.FileFlags.Rdonly : 0) | (opts.writeOnly ? sys.FileFlags.Wronly : 0));
  let fd: sys.FD;
  try {
    fd = sys.objGet(path, flags || undefined);
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext(`load pinned link ${path}`) : err;
  }
  const kind = sys.bpfObjectKind(fd.fd);
  if (kind !== 'link') {
    fd.close();
    throw new InvalidArgumentError('path', `load pinned link: ${path} is ${kind ? `a pinned BPF ${kind}` : 'not a BPF object'}, not a link`);
  }
  return wrapRawLink(fd, path);
}
