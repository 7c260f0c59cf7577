import { InvalidArgumentError } from '@bpfkit/errors';

/** An attach target: a raw fd or ifindex, or an object owning an fd (sys.FD, a cgroup handle...). */
export type AttachTarget = number | { readonly fd: number };

export function targetNumber(target: AttachTarget, what: string): number {
  const n = typeof target === 'number' ? target : typeof target === 'object' && target !== null ? target.fd : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new InvalidArgumentError('target', `${what}: ${String(n)} is not a file descriptor or interface index`);
  return n;
}

/** An attach type: a u32 from AttachType. */
export function attachTypeNumber(attach: number, what: string): number {
  if (!Number.isInteger(attach) || attach < 0 || attach > 0xffffffff) throw new InvalidArgumentError('attach', `${what}: ${String(attach)} is not an attach type`);
  return attach;
}
