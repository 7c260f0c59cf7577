import { describe, expect, it } from 'vitest';
import {
  BpfError,
  fromNodeError,
  nodeErrno,
  Errno,
  errnoName,
  errnoNumber,
  InvalidArgumentError,
  isNotExist,
  isNotSupported,
  NotSupportedError,
  SymbolNotFoundError,
  SyscallError,
} from './index.js';

describe('errno table', () => {
  it('names the common errnos and the kernel-internal ENOTSUPP', () => {
    expect(errnoName(2)).toBe('ENOENT');
    expect(errnoName(7)).toBe('E2BIG');
    expect(errnoName(116)).toBe('ESTALE');
    expect(errnoName(524)).toBe('ENOTSUPP');
    expect(errnoName(9999)).toBe('E9999');
    expect(errnoNumber('EOPNOTSUPP')).toBe(95);
    expect(Errno.EWOULDBLOCK).toBe(Errno.EAGAIN);
  });

  it('round-trips every name through its number', () => {
    for (const [name, n] of Object.entries(Errno)) {
      if (name === 'EWOULDBLOCK' || name === 'EDEADLOCK') continue;
      expect(errnoName(n)).toBe(name);
    }
  });
});

describe('SyscallError', () => {
  it('formats context, syscall, errno name and hint', () => {
    const e = new SyscallError('bpf(BPF_LINK_CREATE)', 19, {
      context: 'attach XDP to ifindex 999',
      hint: 'no such device',
    });
    expect(e.message).toBe('attach XDP to ifindex 999: bpf(BPF_LINK_CREATE): ENODEV (no such device) (no such device)');
    expect(e.code).toBe('ENODEV');
    expect(e.errno).toBe(19);
    expect(e.syscall).toBe('bpf(BPF_LINK_CREATE)');
    expect(e.name).toBe('SyscallError');
    expect(e).toBeInstanceOf(BpfError);
    expect(e).toBeInstanceOf(Error);
  });

  it('keeps the errno when context is added', () => {
    const inner = new SyscallError('bpf(BPF_OBJ_GET)', 2);
    const outer = inner.withContext('load pinned link');
    expect(outer.code).toBe('ENOENT');
    expect(outer.message.startsWith('load pinned link: bpf(BPF_OBJ_GET): ENOENT')).toBe(true);
    expect(outer.cause).toBe(inner);
  });
});

describe('predicates', () => {
  it('isNotSupported matches the class and EOPNOTSUPP/ENOTSUPP through causes', () => {
    expect(isNotSupported(new NotSupportedError('bpf_link', { minimumKernel: '5.7' }))).toBe(true);
    expect(isNotSupported(new SyscallError('bpf', 95))).toBe(true);
    expect(isNotSupported(new SyscallError('bpf', 524))).toBe(true);
    expect(isNotSupported(new Error('wrapped', { cause: new SyscallError('bpf', 524) }))).toBe(true);
    expect(isNotSupported(new SyscallError('bpf', 22))).toBe(false);
    expect(isNotSupported(undefined)).toBe(false);
  });

  it('isNotExist matches ENOENT from us and from Node, and missing symbols', () => {
    expect(isNotExist(new SyscallError('bpf(BPF_OBJ_GET)', 2))).toBe(true);
    expect(isNotExist(new SymbolNotFoundError('nope', { path: '/bin/true' }))).toBe(true);
    const nodeErr = Object.assign(new Error('x'), { code: 'ENOENT' });
    expect(isNotExist(nodeErr)).toBe(true);
    expect(isNotExist(new SyscallError('bpf', 22))).toBe(false);
  });

  it('isNotExist matches ENODEV: a network interface that does not exist', () => {
    expect(isNotExist(new SyscallError('bpf(BPF_LINK_CREATE)', 19, { context: 'attach XDP to eth9' }))).toBe(true);
    expect(isNotExist(new Error('x', { cause: new SyscallError('RTM_GETLINK', 19) }))).toBe(true);
  });

  it('a self-referencing cause chain terminates', () => {
    const e = new Error('loop') as Error & { cause?: unknown };
    e.cause = e;
    expect(isNotExist(e)).toBe(false);
  });
});

describe('typed errors', () => {
  it('carry their codes and fields', () => {
    const ns = new NotSupportedError('kprobe', { missingConfig: 'CONFIG_KPROBES' });
    expect(ns.code).toBe('ERR_BPF_NOT_SUPPORTED');
    expect(ns.message).toBe('kprobe not supported (kernel built without CONFIG_KPROBES)');
    expect(ns.missingConfig).toBe('CONFIG_KPROBES');
    const refused = new NotSupportedError('fentry', { minimumKernel: '5.5', refusal: 'program loads of this type refused with EPERM', detail: 'policy' });
    expect(refused.message).toBe('fentry not supported (refused by this kernel: program loads of this type refused with EPERM): policy');
    expect(refused.refusal).toMatch(/EPERM/);
    expect(refused.detail).toBe('policy');
    const ns2 = new NotSupportedError('tcx', { minimumKernel: '6.6', detail: 'probe failed' });
    expect(ns2.message).toBe('tcx not supported (requires >= v6.6): probe failed');
    const sym = new SymbolNotFoundError('main', { path: '/bin/ls' });
    expect(sym.message).toBe('symbol main: not found in /bin/ls');
    expect(sym.code).toBe('ERR_BPF_SYMBOL_NOT_FOUND');
    const inv = new InvalidArgumentError('offset', 'must be a non-negative integer');
    expect(inv.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(inv.argument).toBe('offset');
    expect(inv.message).toBe('invalid offset: must be a non-negative integer');
  });
});

describe('names survive bundling', () => {
  it('each class names itself explicitly', () => {
    expect(new BpfError('x').name).toBe('BpfError');
    expect(new SyscallError('bpf', 1).name).toBe('SyscallError');
    expect(new NotSupportedError('x').name).toBe('NotSupportedError');
    expect(new SymbolNotFoundError('x').name).toBe('SymbolNotFoundError');
    expect(new InvalidArgumentError('a', 'b').name).toBe('InvalidArgumentError');
  });
});

describe('Node system errors', () => {
  it('become SyscallErrors with the errno, syscall and context; other values pass through', async () => {
    const { readFileSync } = await import('node:fs');
    let nodeErr: unknown;
    try {
      readFileSync('/nonexistent/bpfkit');
    } catch (e) {
      nodeErr = e;
    }
    expect(nodeErrno(nodeErr)).toBe(2);
    const e = fromNodeError(nodeErr, 'open(/nonexistent/bpfkit)', { context: 'read config', hint: 'is it mounted?' });
    expect(e).toBeInstanceOf(SyscallError);
    expect(e).toMatchObject({ code: 'ENOENT', errno: 2, syscall: 'open(/nonexistent/bpfkit)', hint: 'is it mounted?', cause: nodeErr });
    expect((e as Error).message).toBe('read config: open(/nonexistent/bpfkit): ENOENT (no such file or directory) (is it mounted?)');
    const plain = new Error('not a system error');
    expect(fromNodeError(plain, 'x')).toBe(plain);
    const ours = new SyscallError('bpf', 1);
    expect(fromNodeError(ours, 'x')).toBe(ours);
    expect(nodeErrno({ errno: -13 })).toBe(13);
    expect(nodeErrno(undefined)).toBeUndefined();
  });
});
