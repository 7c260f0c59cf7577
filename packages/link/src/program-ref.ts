import { InvalidArgumentError } from '@bpfkit/errors';
import type { Map as BpfMap, Program } from '@bpfkit/ebpf';

/** What attach functions take as a program: @bpfkit/ebpf's Program (checked by shape, so two copies of ebpf interoperate). */
export type ProgramRef = Pick<Program, 'fd' | 'type'>;

/** What attach functions take as a map. */
export type MapRef = Pick<BpfMap, 'fd' | 'type'>;

function isObjectRef(v: unknown): v is { fd: number; type: number } {
  return typeof v === 'object' && v !== null && typeof (v as { fd?: unknown }).fd === 'number' && typeof (v as { type?: unknown }).type === 'number';
}

/** The program's fd, or InvalidArgumentError naming `what` was attempted and why. */
export function programFd(program: unknown, what: string, argument = 'program'): number {
  if (!isObjectRef(program)) throw new InvalidArgumentError(argument, `${what}: expected a Program, got ${describe(program)}`);
  if (program.fd < 0) throw new InvalidArgumentError(argument, `${what}: program closed`);
  return program.fd;
}

/** The program's fd after checking its type is one of `types` (named in the error). */
export function typedProgramFd(program: unknown, what: string, types: Record<string, number>): number {
  const fd = programFd(program, what);
  const type = (program as ProgramRef).type;
  if (!Object.values(types).includes(type)) {
    const want = Object.keys(types).join(' or ');
    throw new InvalidArgumentError('program', `${what}: needs a ${want} program, got program type ${type}`);
  }
  return fd;
}

export function mapFd(map: unknown, what: string, argument = 'map'): number {
  if (!isObjectRef(map)) throw new InvalidArgumentError(argument, `${what}: expected a Map, got ${describe(map)}`);
  if (map.fd < 0) throw new InvalidArgumentError(argument, `${what}: map closed`);
  return map.fd;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return v.constructor?.name ?? 'an object';
}
