import { describe, expect, it } from 'vitest';
import { skipForbidden } from './feature.js';

describe('BPFKIT_STRICT skip rules', () => {
  it('in strict mode, a feature at or below the running kernel may not be skipped', () => {
    expect(skipForbidden({ message: 'x', minimumKernel: '5.7' }, '6.18.44-fc', true)).toBe(true);
    expect(skipForbidden({ message: 'x', minimumKernel: '6.18' }, '6.18.0', true)).toBe(true);
    expect(skipForbidden({ message: 'x' }, '6.18.0', true)).toBe(true);
  });

  it('in strict mode, a newer feature or one the kernel was built without may be skipped', () => {
    expect(skipForbidden({ message: 'x', minimumKernel: '6.7' }, '6.1.0-56-amd64', true)).toBe(false);
    expect(skipForbidden({ message: 'x', minimumKernel: '4.17', missingConfig: 'CONFIG_KPROBES' }, '6.18.44', true)).toBe(false);
    // A kernel that has the feature but refuses it (EPERM by policy) may skip too.
    expect(skipForbidden({ message: 'x', minimumKernel: '5.5', refusal: 'EPERM' }, '6.18.44', true)).toBe(false);
  });

  it('without strict mode every probe-backed skip is allowed', () => {
    expect(skipForbidden({ message: 'x', minimumKernel: '5.7' }, '6.18.44', false)).toBe(false);
  });
});
