import { SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { checkNoAnchorFlags, type Anchor } from './anchor.js';
import { programFd, type ProgramRef } from './program-ref.js';
import { attachTypeNumber, targetNumber, type AttachTarget } from './target.js';

export interface RawAttachProgramOptions {
  /** fd (cgroup, netns, socket...) or ifindex (TCX, netkit); 0 for the flow dissector of the current netns. */
  target: AttachTarget;
  program: ProgramRef;
  attach: number;
  /** Position among the attached programs, or the program to replace. */
  anchor?: Anchor;
  /** attach_flags such as AttachFlags.AllowMulti; anchor flags come from `anchor`. */
  flags?: number;
  /** Attach only if the hook's revision is still this one (mprog hooks); ESTALE otherwise. */
  expectedRevision?: number | bigint;
}

export type RawDetachProgramOptions = RawAttachProgramOptions;

/** When PROG_ATTACH/DETACH fails, an old kernel is reported as NotSupportedError, not as its errno. */
function explain(err: unknown, context: string): unknown {
  if (!(err instanceof SyscallError)) return err;
  try {
    sys.haveProgAttach();
  } catch (probeErr) {
    return probeErr;
  }
  return err.withContext(context);
}

/**
 * BPF_PROG_ATTACH. Anchor flags are OR-ed into attach_flags; a replace anchor's fd goes into
 * replace_bpf_fd (with BPF_F_REPLACE, which cilium v0.21.0 forgot), any other into relative_fd.
 */
export function rawAttachProgram(opts: RawAttachProgramOptions): void {
  const what = 'attach program';
  const flags = checkNoAnchorFlags(opts.flags, what);
  const targetFd = targetNumber(opts.target, what);
  const attachBpfFd = programFd(opts.program, what);
  const attachType = attachTypeNumber(opts.attach, what);
  const a = opts.anchor?.resolve(what);
  try {
    sys.progAttach({
      targetFd,
      attachBpfFd,
      attachType,
      attachFlags: (flags | (a?.flags ?? 0)) || undefined,
      ...(a && opts.anchor!.replaces ? { replaceBpfFd: a.fdOrId } : a?.fdOrId ? { relativeFd: a.fdOrId } : {}),
      expectedRevision: opts.expectedRevision,
    });
  } catch (err) {
    throw explain(err, `${what} (attach type ${attachType}) to target ${targetFd}`);
  }
}

/** BPF_PROG_DETACH. `flags` are not sent (only the anchor's), as the kernel expects. */
export function rawDetachProgram(opts: RawDetachProgramOptions): void {
  const what = 'detach program';
  checkNoAnchorFlags(opts.flags, what);
  const targetFd = targetNumber(opts.target, what);
  const attachBpfFd = programFd(opts.program, what);
  const attachType = attachTypeNumber(opts.attach, what);
  const a = opts.anchor?.resolve(what);
  try {
    sys.progDetach({
      targetFd,
      attachBpfFd,
      attachType,
      attachFlags: a?.flags || undefined,
      ...(a?.fdOrId ? { relativeFd: a.fdOrId } : {}),
      expectedRevision: opts.expectedRevision,
    });
  } catch (err) {
    throw explain(err, `${what} (attach type ${attachType}) from target ${targetFd}`);
  }
}
