import { describe, expect, it } from 'vitest';
import { BpfError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import { compareVersions, kernelVersion, parseKernelRelease, probe } from './probe.js';
import { release } from 'node:os';

describe('kernel versions', () => {
  it('parses Debian, Ubuntu and plain releases', () => {
    expect(parseKernelRelease('6.1.0-56-amd64')).toEqual({ major: 6, minor: 1, patch: 0 });
    expect(parseKernelRelease('6.12.117+deb12-amd64')).toEqual({ major: 6, minor: 12, patch: 117 });
    expect(parseKernelRelease('5.15.0-91-generic')).toEqual({ major: 5, minor: 15, patch: 0 });
    expect(parseKernelRelease('4.19.300')).toEqual({ major: 4, minor: 19, patch: 255 });
    expect(parseKernelRelease('7.2')).toEqual({ major: 7, minor: 2, patch: 0 });
    expect(() => parseKernelRelease('garbage')).toThrow(BpfError);
  });

  it('compares', () => {
    expect(compareVersions('6.1', '6.12')).toBe(-1);
    expect(compareVersions('6.12.3', '6.12')).toBe(1);
    expect(compareVersions('5.7', '5.7.0')).toBe(0);
  });

  it('reads the running kernel', () => {
    const v = kernelVersion();
    expect(`${v.major}.${v.minor}`).toBe(release().split('.').slice(0, 2).join('.'));
  });
});

describe('probe()', () => {
  it('memoises a supported result', () => {
    let calls = 0;
    const p = probe('thing', () => ++calls, '5.0');
    expect(p()).toBe(1);
    expect(p()).toBe(1);
    expect(calls).toBe(1);
  });

  it('memoises "not supported" and names the minimum kernel', () => {
    let calls = 0;
    const p = probe(
      'feature x',
      () => {
        calls++;
        throw new NotSupportedError('feature x');
      },
      '5.7',
    );
    expect(p).toThrow(NotSupportedError);
    expect(p).toThrow('feature x not supported (requires >= v5.7)');
    expect(calls).toBe(1);
  });

  it('treats EOPNOTSUPP as not supported', () => {
    const p = probe('y', () => {
      throw new SyscallError('bpf', 95);
    }, '6.0');
    expect(p).toThrow(expect.objectContaining({ code: 'ERR_BPF_NOT_SUPPORTED', minimumKernel: '6.0' }));
  });

  it('does not cache inconclusive errors', () => {
    let calls = 0;
    const p = probe('z', () => {
      if (++calls === 1) throw new SyscallError('bpf', 12);
      return 'ok';
    });
    expect(p).toThrow('detect support for z');
    expect(p()).toBe('ok');
    expect(calls).toBe(2);
  });
});
