import { describe, expect, it } from 'vitest';
import { parseOptions } from './options.js';

describe('options', () => {
  it('defaults, and each option', () => {
    expect(parseOptions([])).toEqual({ json: false, features: false, help: false, durationMs: 3000 });
    expect(parseOptions(['--json', '--duration', '0.5', '--only', 'xdp, tcx', '--features'])).toEqual({
      json: true,
      features: true,
      help: false,
      durationMs: 500,
      only: ['xdp', 'tcx'],
    });
  });

  it('refuses what it cannot use, saying why', () => {
    expect(() => parseOptions(['--duration', 'soon'])).toThrow('--duration: expected seconds between 0 and 3600, got "soon"');
    expect(() => parseOptions(['--duration', '0'])).toThrow(/--duration/);
    expect(() => parseOptions(['--only', ','])).toThrow('--only: expected a comma-separated list of kinds');
    expect(() => parseOptions(['--bogus'])).toThrow(/bogus/);
    expect(() => parseOptions(['extra'])).toThrow(/extra/);
  });
});
