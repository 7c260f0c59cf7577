import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { findKernelType, kernelModulesWithBTF, loadKernelBTF, loadModuleBTF } from './kernel.js';
import { Kind } from './kind.js';

describe('kernel BTF', () => {
  it('is read once per process', () => {
    expect(loadKernelBTF()).toBe(loadKernelBTF());
    expect(loadKernelBTF().typeCount).toBeGreaterThan(10_000);
  });

  it('finds functions in vmlinux with no module', () => {
    const t = findKernelType('do_sys_openat2', Kind.Func);
    expect(t.module).toBeUndefined();
    expect(t.spec).toBe(loadKernelBTF());
    expect(t.spec.type(t.typeId).name).toBe('do_sys_openat2');
  });

  it('throws SymbolNotFoundError for a missing function', () => {
    expect(() => findKernelType('no_such_function', 'FUNC')).toThrow(SymbolNotFoundError);
  });

  it('loads every module BTF present as split BTF on vmlinux', () => {
    for (const m of kernelModulesWithBTF()) {
      const spec = loadModuleBTF(m);
      expect(spec.base).toBe(loadKernelBTF());
      expect(spec.firstTypeId).toBe(loadKernelBTF().typeEnd);
      expect(loadModuleBTF(m)).toBe(spec);
    }
  });

  it('rejects bad module names and reports missing modules as not found', () => {
    expect(() => loadModuleBTF('../etc/passwd')).toThrow(InvalidArgumentError);
    expect(() => loadModuleBTF('vmlinux')).toThrow(InvalidArgumentError);
    expect(() => loadModuleBTF('bpfkit_no_such_module')).toThrow(SymbolNotFoundError);
  });
});
