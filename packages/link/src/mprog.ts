import { Errno, InvalidArgumentError, isNotSupported, SyscallError } from '@bpfkit/errors';
import { ProgramType } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import { Anchor, checkNoAnchorFlags } from './anchor.js';
import { resolveInterface, type InterfaceRef } from './interface.js';
import { createLink } from './link.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';

/** What attachTCX and attachNetkit take: a SchedCLS program at one of the kind's hooks of an interface. */
export interface MprogOptions {
  /** A SchedCLS program. */
  program: ProgramRef;
  /** An interface index or name. */
  interface: InterfaceRef;
  /** The hook, e.g. AttachType.TCXIngress. */
  attach: number;
  /** Where among the hook's programs this one goes (default: last). */
  anchor?: Anchor;
  /** Attach only if the hook's revision (from queryPrograms) is still this one; else code ESTALE. */
  expectedRevision?: number | bigint;
  /** BPF_F_* flags other than the anchor's. */
  flags?: number;
}

/** One mprog kind (TCX or netkit): its name, its hooks and its probe. */
export interface MprogKind {
  kind: 'tcx' | 'netkit';
  label: string;
  hooks: Record<string, number>;
  probe: () => void;
}

/** BPF_LINK_CREATE at an mprog hook; validated before any syscall, errors naming interface and hook. */
export function attachMprog(k: MprogKind, opts: MprogOptions): sys.FD {
  const what = `attach ${k.label}`;
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', `${what}: must be an object`);
  const progFd = typedProgramFd(opts.program, what, { SchedCLS: ProgramType.SchedCLS });
  const hook = Object.entries(k.hooks).find(([, v]) => v === opts.attach)?.[0];
  if (hook === undefined) {
    throw new InvalidArgumentError('attach', `${what}: ${String(opts.attach)} is not a ${k.label} hook (${Object.entries(k.hooks).map(([n, v]) => `AttachType.${n} = ${v}`).join(', ')})`);
  }
  const flags = checkNoAnchorFlags(opts.flags, what);
  if (opts.anchor !== undefined && !(opts.anchor instanceof Anchor)) throw new InvalidArgumentError('anchor', `${what}: expected an Anchor (head(), afterLink(l), ...)`);
  if (opts.anchor?.replaces) throw new InvalidArgumentError('anchor', `${what}: ${opts.anchor} replaces a program, which only rawAttachProgram can do; links are placed before or after`);
  const revision = opts.expectedRevision;
  if (revision !== undefined && !((typeof revision === 'bigint' && revision >= 0n && revision < 1n << 64n) || (Number.isSafeInteger(revision) && (revision as number) >= 0))) {
    throw new InvalidArgumentError('expectedRevision', `${what}: ${String(revision)} is not a revision (an unsigned 64-bit integer)`);
  }
  const ifindex = resolveInterface(opts.interface, what);
  const anchor = opts.anchor?.resolve(what) ?? { fdOrId: 0, flags: 0 };
  const where = `${what} ${hook} to ${typeof opts.interface === 'string' ? `${opts.interface} (ifindex ${ifindex})` : `ifindex ${ifindex}`}${opts.anchor ? ` at ${opts.anchor}` : ''}`;
  try {
    return createLink(
      { kind: k.kind, progFd, targetIfindex: ifindex, attachType: opts.attach, flags: flags | anchor.flags, relativeFd: anchor.fdOrId || undefined, expectedRevision: revision },
      where,
    );
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    try {
      k.probe();
    } catch (probeErr) {
      if (isNotSupported(probeErr)) throw probeErr;
    }
    if (err.errno === Errno.ESTALE) throw new SyscallError(err.syscall, err.errno, { context: where, hint: `the hook's revision is no longer ${revision}: query it again`, cause: err });
    throw err;
  }
}
