import { errnoNumber, SyscallError, type SyscallErrorOptions } from '@bpfkit/errors';

/** The errno of an error thrown by node:fs, or undefined for anything else. */
export function errnoOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  if (typeof code === 'string') {
    const n = errnoNumber(code);
    if (n !== undefined) return n;
  }
  return typeof errno === 'number' && errno !== 0 ? Math.abs(errno) : undefined;
}

/** Turns a node:fs error into a SyscallError; other errors are returned unchanged. */
export function toSyscallError(err: unknown, syscall: string, options: Omit<SyscallErrorOptions, 'cause'> = {}): unknown {
  const errno = errnoOf(err);
  if (errno === undefined) return err;
  return new SyscallError(syscall, errno, { ...options, cause: err });
}
