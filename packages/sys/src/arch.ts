import { NotSupportedError } from '@bpfkit/errors';

/** Syscall numbers that differ between the architectures bpfkit supports. */
export interface SyscallNumbers {
  bpf: number;
  perfEventOpen: number;
  gettid: number;
}

const TABLE: Record<string, SyscallNumbers> = {
  x64: { bpf: 321, perfEventOpen: 298, gettid: 186 },
  arm64: { bpf: 280, perfEventOpen: 241, gettid: 178 },
};

/** The syscall numbers of `arch` (default: this process's); other architectures are not supported. */
export function syscallNumbers(arch: string = process.arch): SyscallNumbers {
  const nr = TABLE[arch];
  if (!nr) {
    throw new NotSupportedError(`architecture ${arch}`, {
      detail: 'bpfkit knows the syscall numbers of x64 and arm64 only',
    });
  }
  return nr;
}
