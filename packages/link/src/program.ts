import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
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

function checkOptions(opts: unknown, what: string): void {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', `${what}: must be an object`);
}

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
 * The BPF_PROG_ATTACH attr of `opts`. Anchor flags are OR-ed into attach_flags; a replace anchor's
 * fd goes into replace_bpf_fd (with BPF_F_REPLACE, which cilium v0.21.0 forgot), any other into
 * relative_fd / relative_id.
 */
export function progAttachAttr(opts: RawAttachProgramOptions, what = 'attach program'): sys.ProgAttachAttr {
  const { base, flags, anchor } = checkedAttr(opts, what);
  return {
    ...base,
    attachFlags: (flags | (anchor?.flags ?? 0)) || undefined,
    ...(anchor && opts.anchor!.replaces ? { replaceBpfFd: anchor.fdOrId } : anchor?.fdOrId ? { relativeFd: anchor.fdOrId } : {}),
  };
}

/** The BPF_PROG_DETACH attr: `flags` are not sent (only the anchor's), as the kernel expects. */
export function progDetachAttr(opts: RawDetachProgramOptions, what = 'detach program'): sys.ProgAttachAttr {
  const { base, anchor } = checkedAttr(opts, what);
  return { ...base, attachFlags: anchor?.flags || undefined, ...(anchor?.fdOrId ? { relativeFd: anchor.fdOrId } : {}) };
}

/** What attach and detach share: every option checked before any syscall, the anchor resolved. */
function checkedAttr(opts: RawAttachProgramOptions, what: string) {
  checkOptions(opts, what);
  const flags = checkNoAnchorFlags(opts.flags, what);
  const base = {
    targetFd: targetNumber(opts.target, what),
    attachBpfFd: programFd(opts.program, what),
    attachType: attachTypeNumber(opts.attach, what),
    expectedRevision: opts.expectedRevision,
  };
  return { base, flags, anchor: opts.anchor?.resolve(what) };
}

/** BPF_PROG_ATTACH (see progAttachAttr for how the anchor is encoded). */
export function rawAttachProgram(opts: RawAttachProgramOptions): void {
  const attr = progAttachAttr(opts);
  try {
    sys.progAttach(attr);
  } catch (err) {
    throw explain(err, `attach program (attach type ${attr.attachType}) to target ${attr.targetFd}`);
  }
}

/** BPF_PROG_DETACH. */
export function rawDetachProgram(opts: RawDetachProgramOptions): void {
  const attr = progDetachAttr(opts);
  try {
    sys.progDetach(attr);
  } catch (err) {
    throw explain(err, `detach program (attach type ${attr.attachType}) from target ${attr.targetFd}`);
  }
}
