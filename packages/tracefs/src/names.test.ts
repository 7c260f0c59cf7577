import { InvalidArgumentError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import {
  isTracepointIdentifier,
  isValidEventName,
  isValidGroupName,
  MAX_EVENT_NAME_LEN,
  sanitizeSymbol,
  validateEventName,
  validateGroupName,
} from './names.js';

describe('sanitizeSymbol', () => {
  it.each([
    ['readline', 'readline'],
    ['main.Func123', 'main_Func123'],
    ['a.....a', 'a_a'],
    ["./;'{}[]a", '_a'],
    ['***xx**xx###', '_xx_xx_'],
    ['@P#r$i%v^3*+t)i&k++--', '_P_r_i_v_3_t_i_k_'],
    ['__x64_sys_open', '_x64_sys_open'],
  ])('%s → %s (cilium sanitizeIdentifier)', (input, output) => {
    expect(sanitizeSymbol(input)).toBe(output);
  });

  it('puts a _ before a leading digit and cuts to 63 characters, so the result is always valid', () => {
    expect(sanitizeSymbol('1test')).toBe('_1test');
    const long = sanitizeSymbol(`_ZN${'x'.repeat(200)}E`);
    expect(long).toHaveLength(MAX_EVENT_NAME_LEN - 1);
    for (const s of ['1test', `_ZN${'x'.repeat(200)}E`, 'std::vector<int>::push_back', '9']) {
      expect(isValidEventName(sanitizeSymbol(s))).toBe(true);
    }
  });

  it('rejects an empty symbol', () => {
    expect(() => sanitizeSymbol('')).toThrow(InvalidArgumentError);
    expect(() => sanitizeSymbol(undefined as unknown as string)).toThrow('symbol name cannot be empty');
  });
});

describe('group and event names follow the kernel (is_good_name, 63 characters)', () => {
  it.each(['_', '__x64_syscall', 'bpf_trace_run1', 'all0wed', 'A', 'g'.repeat(63)])('accepts %s', (name) => {
    expect(isValidGroupName(name)).toBe(true);
    expect(isValidEventName(name)).toBe(true);
  });

  it.each(['', '1test', '-EINVAL', 'trace-group', 'a/b', '../x', 'a b', 'ü', 'g'.repeat(64)])('rejects %j', (name) => {
    expect(isValidGroupName(name)).toBe(false);
    expect(isValidEventName(name)).toBe(false);
    expect(() => validateGroupName(name)).toThrow(InvalidArgumentError);
    expect(() => validateEventName(name)).toThrow(InvalidArgumentError);
  });

  it('says why', () => {
    expect(() => validateGroupName('g'.repeat(64))).toThrow(`group name '${'g'.repeat(64)}' cannot be longer than 63 characters`);
    expect(() => validateEventName('1a')).toThrow("event name '1a' must be alphanumeric or underscore");
    expect(() => validateGroupName('')).toThrow('group name cannot be empty');
  });

  it('tracepoint lookups also allow hyphens after the first character, as cilium does', () => {
    expect(isTracepointIdentifier('trace-group')).toBe(true);
    expect(isTracepointIdentifier('sys_enter_mmap')).toBe(true);
    expect(isTracepointIdentifier('-EINVAL')).toBe(false);
    expect(isTracepointIdentifier('1test')).toBe(false);
    expect(isTracepointIdentifier('')).toBe(false);
    expect(isTracepointIdentifier('..')).toBe(false);
  });
});
