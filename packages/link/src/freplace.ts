import { Kind, Spec } from '@bpfkit/btf';
import { ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { createLink, notSupportedOr } from './link.js';
import { programFd, typedProgramFd, type ProgramRef } from './program-ref.js';
import { TracingLink } from './tracing.js';

/** The BTF type ID of FUNC `name` in the BTF the program `fd` was loaded with. */
function functionTypeId(fd: number, name: string, what: string): number {
  const { btfId } = sys.progInfo(fd);
  if (!btfId) throw new InvalidArgumentError('target', `${what}: the target program was loaded without BTF, so its functions cannot be found`);
  let spec: Spec;
  const btf = sys.btfGetFdById(btfId);
  try {
    spec = Spec.parse(sys.btfInfo(btf.fd).btf(), { name: 'BTF of the target program' });
  } finally {
    btf.close();
  }
  const ids = spec.findTypeIds(name, Kind.Func);
  if (ids.length === 0) throw new SymbolNotFoundError(name, { path: 'the target program', detail: `${what}: no FUNC of that name in its BTF` });
  return ids[0]!;
}

/**
 * Replace function `name` of program `target` with the Extension `program` (freplace). With
 * `target` null and `name` '', the program attaches where it was loaded for (its attachTarget).
 */
export function attachFreplace(target: ProgramRef | null, name: string, program: ProgramRef): TracingLink {
  const what = `attach freplace${name ? ` of ${name}` : ''}`;
  if ((target == null) !== (name === '' || name == null)) {
    throw new InvalidArgumentError('name', `${what}: give both a target program and a function name, or neither`);
  }
  if (typeof (name ?? '') !== 'string') throw new InvalidArgumentError('name', `${what}: the function name must be a string`);
  const progFd = typedProgramFd(program, what, { Extension: ProgramType.Extension });
  let targetFd = 0;
  let targetBtfId = 0;
  if (target != null) {
    targetFd = programFd(target, what, 'target');
    try {
      targetBtfId = functionTypeId(targetFd, name, what);
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext(`${what}: reading the target's BTF`) : err;
    }
  }
  sys.haveBPFLink();
  try {
    return new TracingLink(createLink({ progFd, targetFd, attachType: 0, targetBtfId }, what));
  } catch (err) {
    throw notSupportedOr(err, what, 'freplace');
  }
}
