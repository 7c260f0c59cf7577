import { findKernelType, Kind } from '@bpfkit/btf';
import { Errno, InvalidArgumentError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import type { FD } from '@bpfkit/sys';
import { argumentFd } from './fd-object.js';
import { moduleBTFObject, programBTF } from './kernel-btf.js';
import type { LoaderSyscalls } from './syscalls.js';
import { AttachType, ProgramType } from './types.js';

/** What BPF_PROG_LOAD needs to know about the attach point. */
export interface ResolvedTarget {
  attachBtfId?: number;
  attachBtfObjFd?: number;
  attachProgFd?: number;
  /** struct_ops programs: the member index, which the kernel expects as expected_attach_type. */
  expectedAttachType?: number;
  /** Descriptors opened for the load; close them once it is done. */
  fds: FD[];
}

export interface TargetRequest {
  type: number;
  attachType: number;
  attachTo?: string;
  /** A loaded program (its fd) for freplace and fentry/fexit on BPF programs. */
  attachTarget?: { readonly fd: number };
}


/** The kernel BTF name and kind `attachTo` stands for (cilium's findProgramTargetInKernel). */
export function kernelTargetName(type: number, attachType: number, attachTo: string): { name: string; kind: Kind } | undefined {
  if (type === ProgramType.LSM && attachType === AttachType.LSMMac) return { name: `bpf_lsm_${attachTo}`, kind: Kind.Func };
  if (type !== ProgramType.Tracing) return undefined;
  switch (attachType) {
    case AttachType.TraceIter:
      return { name: `bpf_iter_${attachTo}`, kind: Kind.Func };
    case AttachType.TraceFEntry:
    case AttachType.TraceFExit:
    case AttachType.ModifyReturn:
      return { name: attachTo, kind: Kind.Func };
    case AttachType.TraceRawTp:
      return { name: `btf_trace_${attachTo}`, kind: Kind.Typedef };
    default:
      return undefined;
  }
}

/** Types that cannot load without a BTF attach point. */
const needsTarget = (type: number): boolean =>
  type === ProgramType.Tracing || type === ProgramType.LSM || type === ProgramType.Extension || type === ProgramType.StructOps;

/**
 * Resolve `attachTo` / `attachTarget` into attach_btf_id plus the fd of the BTF object
 * (module) or program that holds it. Validates before opening anything; on error nothing stays open.
 */
export function resolveTarget(req: TargetRequest, sc: LoaderSyscalls): ResolvedTarget {
  const { type, attachType, attachTo, attachTarget } = req;
  if (attachTo !== undefined && (typeof attachTo !== 'string' || attachTo === '')) {
    throw new InvalidArgumentError('attachTo', 'must be a non-empty string');
  }
  if (attachTarget !== undefined) {
    const fentryOnBpf = type === ProgramType.Tracing && (attachType === AttachType.TraceFEntry || attachType === AttachType.TraceFExit);
    if (type !== ProgramType.Extension && !fentryOnBpf) {
      throw new InvalidArgumentError('attachTarget', 'only Extension programs and Tracing fentry/fexit programs attach to another program');
    }
    if (attachTo === undefined) throw new InvalidArgumentError('attachTo', 'attachTarget needs the name of the function to attach to');
    const spec = programBTF(argumentFd(attachTarget, 'attachTarget', 'program'), 'the target program', sc);
    const ids = spec.findTypeIds(attachTo, Kind.Func);
    if (ids.length === 0) throw new SymbolNotFoundError(attachTo, { path: 'the target program', detail: 'no FUNC of that name in its BTF' });
    return { attachBtfId: ids[0]!, attachProgFd: attachTarget.fd, fds: [] };
  }
  if (attachTo === undefined) {
    if (needsTarget(type)) throw new InvalidArgumentError('attachTo', 'Tracing, LSM, Extension and StructOps programs need an attach point');
    return { fds: [] };
  }
  if (type === ProgramType.Extension) throw new InvalidArgumentError('attachTarget', 'an Extension program needs attachTarget (the program it replaces a function of)');
  if (type === ProgramType.StructOps) return structOpsTarget(attachTo, sc);
  const target = kernelTargetName(type, attachType, attachTo);
  if (!target) {
    if (needsTarget(type)) throw new InvalidArgumentError('attachType', `attach type ${attachType} does not take a kernel attach point for program type ${type}`);
    return { fds: [] };
  }
  return kernelTarget(attachTo, target.name, target.kind, sc);
}

function kernelTarget(attachTo: string, name: string, kind: Kind, sc: LoaderSyscalls): ResolvedTarget & { typeId: number } {
  let found;
  try {
    found = findKernelType(name, kind);
  } catch (err) {
    if (err instanceof SymbolNotFoundError) {
      throw new SymbolNotFoundError(attachTo, { path: 'kernel BTF', detail: `looked for ${kind === Kind.Typedef ? 'TYPEDEF' : 'FUNC'} ${name} in vmlinux and module BTF`, cause: err });
    }
    throw err;
  }
  if (found.module === undefined) return { attachBtfId: found.typeId, typeId: found.typeId, fds: [] };
  let fd: FD;
  try {
    fd = moduleBTFObject(found.module, sc);
  } catch (err) {
    // cilium folds EPERM while walking BTF objects into "not found".
    if (err instanceof SyscallError && err.errno === Errno.EPERM) {
      throw new SymbolNotFoundError(attachTo, { path: `module ${found.module}`, detail: 'its BTF object could not be opened (Errno.EPERM)', cause: err });
    }
    throw err;
  }
  return { attachBtfId: found.typeId, attachBtfObjFd: fd.fd, typeId: found.typeId, fds: [fd] };
}

/** struct_ops programs: `attachTo` is `<struct>:<member>`, e.g. `tcp_congestion_ops:cong_avoid`. */
function structOpsTarget(attachTo: string, sc: LoaderSyscalls): ResolvedTarget {
  const [ops, member, extra] = attachTo.split(':');
  if (!ops || !member || extra !== undefined) throw new InvalidArgumentError('attachTo', `struct_ops attach point ${attachTo} is not <struct>:<member>`);
  const t = kernelTarget(attachTo, ops, Kind.Struct, sc);
  try {
    const spec = findKernelType(ops, Kind.Struct).spec;
    const index = spec.members(t.typeId).findIndex((m) => m.name === member);
    if (index < 0) throw new SymbolNotFoundError(attachTo, { path: 'kernel BTF', detail: `struct ${ops} has no member ${member}` });
    return { attachBtfId: t.attachBtfId, attachBtfObjFd: t.attachBtfObjFd, expectedAttachType: index, fds: t.fds };
  } catch (err) {
    for (const fd of t.fds) fd.close();
    throw err;
  }
}
