import * as sys from '@bpfkit/sys';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';

/** The kernel keeps 15 bytes of an object name, from [A-Za-z0-9_.]; cilium drops the rest. */
export function objectName(name: string): string {
  if (typeof name !== 'string') throw new InvalidArgumentError('name', 'must be a string');
  return name.replace(/[^A-Za-z0-9_.]/g, '').slice(0, sys.OBJ_NAME_LEN - 1);
}

/** A u32 option: undefined stays undefined unless `required`. */
export function u32Option(v: number | undefined, what: string, required = false): number | undefined {
  if (v === undefined) {
    if (required) throw new InvalidArgumentError(what, 'is required');
    return undefined;
  }
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidArgumentError(what, `${v} is not a 32-bit unsigned integer`);
  return v;
}

export function checkObjectId(id: number, kind: string): void {
  if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) throw new InvalidArgumentError('id', `${id} is not a ${kind} ID`);
}

export interface PinnedOptions {
  readOnly?: boolean;
  writeOnly?: boolean;
}

/** BPF_OBJ_GET of a pin, with the access flags and an error that names what was attempted. */
export function openPinned(path: string, options: PinnedOptions, what: string): sys.FD {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', 'must be a non-empty string');
  const fileFlags = (options.readOnly ? sys.FileFlags.Rdonly : 0) | (options.writeOnly ? sys.FileFlags.Wronly : 0);
  try {
    return sys.objGet(path, fileFlags || undefined);
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext(`${what} ${path}`) : err;
  }
}

/** How messages name each kind of object. */
export const OBJECT_LABEL: Record<sys.BpfObjectKind, string> = { prog: 'program', map: 'map', link: 'link', btf: 'BTF object', token: 'token' };

/** Wraps `fd` once it is known to hold a `kind` object; closes it on any failure. */
export function adopt<T>(fd: sys.FD, kind: sys.BpfObjectKind, what: string, wrap: (fd: sys.FD) => T): T {
  try {
    const actual = sys.bpfObjectKind(fd.fd);
    if (actual !== kind) {
      throw new InvalidArgumentError('fd', `${what}: the object is ${actual ? `a BPF ${OBJECT_LABEL[actual]}` : 'not a BPF object'}, not a ${OBJECT_LABEL[kind]}`);
    }
    return wrap(fd);
  } catch (err) {
    fd.close();
    throw err;
  }
}

/**
 * Checks that a caller's raw `fd` holds a `kind` object before `wrap` takes it over: on any
 * error the caller still owns the descriptor.
 */
export function checkForeignFd(fd: number, kind: sys.BpfObjectKind): void {
  if (!Number.isInteger(fd) || fd < 0) throw new InvalidArgumentError('fd', `${fd} is not a file descriptor`);
  const actual = sys.bpfObjectKind(fd);
  if (actual !== kind) {
    throw new InvalidArgumentError('fd', `fd ${fd} is ${actual ? `bpf-${actual}` : 'not a BPF object'}, not a BPF ${OBJECT_LABEL[kind]}`);
  }
}
