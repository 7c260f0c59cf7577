import { InvalidArgumentError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { thrown } from '@bpfkit/testing';
import * as anchor from './anchor.js';

const open = { fd: 5, type: sys.ProgType.SchedCLS };
const closed = { fd: -1, type: sys.ProgType.SchedCLS };

describe('anchor factories', () => {
  it('program anchors reject a closed program when made; link anchors a closed link when resolved', () => {
    for (const make of [anchor.beforeProgram, anchor.afterProgram, anchor.replaceProgram]) {
      const err = thrown(() => make(closed));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(String(err)).toMatch(/Program: program closed/);
      expect(thrown(() => make(null as never))).toBeInstanceOf(InvalidArgumentError);
    }
    for (const make of [anchor.beforeLink, anchor.afterLink]) {
      const l = { fd: 8 };
      const a = make(l);
      expect(a.resolve('attach').fdOrId).toBe(8);
      l.fd = -1;
      const err = thrown(() => a.resolve('attach tcx'));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(String(err)).toMatch(/attach tcx: anchor (before|after)Link: the link is closed or has no link fd/);
      expect(thrown(() => make(null as never))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => make({} as never))).toBeInstanceOf(InvalidArgumentError);
    }
  });

  it('a program anchor whose program is closed after it was made fails at resolve', () => {
    const p = { ...open };
    const a = anchor.afterProgram(p);
    p.fd = -1;
    expect(String(thrown(() => a.resolve('attach')))).toMatch(/attach: anchor afterProgram: program closed/);
  });

  it('ID anchors take u32 IDs above 0 only', () => {
    const byId = [anchor.beforeLinkByID, anchor.afterLinkByID, anchor.beforeProgramByID, anchor.afterProgramByID, anchor.replaceProgramByID];
    for (const make of byId) {
      for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN, '7' as never]) {
        const err = thrown(() => make(bad));
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect(String(err)).toMatch(/is not a (link|program) ID/);
      }
      expect(make(1).resolve('x').fdOrId).toBe(1);
      expect(make(0xffffffff).resolve('x').fdOrId).toBe(0xffffffff);
    }
  });

  it('only the replace anchors replace; each names itself', () => {
    expect(anchor.replaceProgram(open).replaces).toBe(true);
    expect(anchor.replaceProgramByID(3).replaces).toBe(true);
    for (const a of [anchor.head(), anchor.tail(), anchor.beforeProgram(open), anchor.afterLinkByID(2)]) expect(a.replaces).toBe(false);
    expect(String(anchor.head())).toBe('head()');
    expect(String(anchor.beforeLinkByID(4))).toBe('beforeLinkByID(4)');
  });
});
