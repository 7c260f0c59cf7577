import { describe, expect, it } from 'vitest';
import { NotSupportedError } from '@bpfkit/errors';
import { syscallNumbers } from './arch.js';

describe('syscall numbers', () => {
  it('knows x86_64 and arm64 (inventory Appendix A)', () => {
    expect(syscallNumbers('x64')).toEqual({ bpf: 321, perfEventOpen: 298, gettid: 186 });
    expect(syscallNumbers('arm64')).toEqual({ bpf: 280, perfEventOpen: 241, gettid: 178 });
  });

  it('refuses other architectures with a clear NotSupportedError', () => {
    expect(() => syscallNumbers('riscv64')).toThrow(NotSupportedError);
    expect(() => syscallNumbers('riscv64')).toThrow(/architecture riscv64 not supported.*x64 and arm64/);
  });
});
