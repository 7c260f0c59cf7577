import { InvalidArgumentError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import * as anchor from './anchor.js';
import { checkNoAnchorFlags } from './anchor.js';
import { progAttachAttr, progDetachAttr, rawAttachProgram, rawDetachProgram } from './program.js';

const { AllowMulti, Replace, Before, After, ID, Link } = sys.AttachFlags;
// Attr building reads numbers only: these stand for open descriptors.
const program = { fd: 7, type: sys.ProgType.SchedCLS };
const other = { fd: 9, type: sys.ProgType.SchedCLS };
const link = { fd: 11 };
const base = { target: 3, program, attach: sys.AttachType.TCXIngress };

/** The fields of the encoded attr (struct { target_fd; attach_bpf_fd; attach_type; attach_flags; replace_bpf_fd; relative_fd; expected_revision }). */
function fields(attr: sys.ProgAttachAttr) {
  const b = sys.encodeProgAttachAttr(attr);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    target: v.getUint32(0, true),
    prog: v.getUint32(4, true),
    type: v.getUint32(8, true),
    flags: v.getUint32(12, true),
    replace: v.getUint32(16, true),
    relative: v.getUint32(20, true),
    revision: v.getBigUint64(24, true),
  };
}

describe('rawAttachProgram / rawDetachProgram attr building (no kernel)', () => {
  const cases: [string, anchor.Anchor | undefined, { flags: number; replace: number; relative: number }][] = [
    ['no anchor', undefined, { flags: 0, replace: 0, relative: 0 }],
    ['head()', anchor.head(), { flags: Before, replace: 0, relative: 0 }],
    ['tail()', anchor.tail(), { flags: After, replace: 0, relative: 0 }],
    ['beforeLink', anchor.beforeLink(link), { flags: Before | Link, replace: 0, relative: 11 }],
    ['afterLink', anchor.afterLink(link), { flags: After | Link, replace: 0, relative: 11 }],
    ['beforeLinkByID', anchor.beforeLinkByID(42), { flags: Before | Link | ID, replace: 0, relative: 42 }],
    ['afterLinkByID', anchor.afterLinkByID(42), { flags: After | Link | ID, replace: 0, relative: 42 }],
    ['beforeProgram', anchor.beforeProgram(other), { flags: Before, replace: 0, relative: 9 }],
    ['afterProgram', anchor.afterProgram(other), { flags: After, replace: 0, relative: 9 }],
    ['beforeProgramByID', anchor.beforeProgramByID(0xffffffff), { flags: Before | ID, replace: 0, relative: 0xffffffff }],
    ['afterProgramByID', anchor.afterProgramByID(5), { flags: After | ID, replace: 0, relative: 5 }],
    ['replaceProgram', anchor.replaceProgram(other), { flags: Replace, replace: 9, relative: 0 }],
    ['replaceProgramByID', anchor.replaceProgramByID(5), { flags: Replace | ID, replace: 5, relative: 0 }],
  ];

  for (const [name, a, want] of cases) {
    it(`attach with ${name}, caller flags and expectedRevision`, () => {
      const f = fields(progAttachAttr({ ...base, anchor: a, flags: AllowMulti, expectedRevision: 17n }));
      expect(f).toEqual({ target: 3, prog: 7, type: sys.AttachType.TCXIngress, flags: want.flags | AllowMulti, replace: want.replace, relative: want.relative, revision: 17n });
    });

    it(`detach with ${name}: only the anchor's flags, the target in relative_fd`, () => {
      const f = fields(progDetachAttr({ ...base, anchor: a, expectedRevision: 3 }));
      expect(f).toEqual({
        target: 3,
        prog: 7,
        type: sys.AttachType.TCXIngress,
        flags: want.flags,
        replace: 0,
        relative: want.relative || want.replace,
        revision: 3n,
      });
    });
  }

  it('without expectedRevision the revision field is 0 (the kernel does not check it)', () => {
    expect(fields(progAttachAttr(base)).revision).toBe(0n);
    expect(fields(progDetachAttr(base)).revision).toBe(0n);
  });

  it('anchor bits in flags, bad targets, attach types and programs are rejected before any syscall', () => {
    for (const bit of [Replace, Before, After, ID, Link]) {
      expect(() => rawAttachProgram({ ...base, flags: bit })).toThrow(/disallowed flags 0x[0-9a-f]+: use an anchor/);
      expect(() => rawDetachProgram({ ...base, flags: bit })).toThrow(InvalidArgumentError);
    }
    expect(() => rawAttachProgram({ ...base, target: -1 })).toThrow(/attach program: -1 is not a file descriptor or interface index/);
    expect(() => rawAttachProgram({ ...base, attach: 1.5 })).toThrow(/1.5 is not an attach type/);
    expect(() => rawAttachProgram({ ...base, program: { fd: -1, type: 3 } })).toThrow(/attach program: program closed/);
    expect(() => rawAttachProgram({ ...base, anchor: anchor.beforeLink({ fd: -1 }) })).toThrow(/anchor beforeLink: the link is closed/);
    expect(() => rawAttachProgram(null as never)).toThrow(InvalidArgumentError);
    expect(() => rawDetachProgram(undefined as never)).toThrow(InvalidArgumentError);
  });
});

describe('checkNoAnchorFlags', () => {
  it('passes other flags through and rejects anchor bits, naming them', () => {
    expect(checkNoAnchorFlags(undefined, 'x')).toBe(0);
    expect(checkNoAnchorFlags(AllowMulti, 'x')).toBe(AllowMulti);
    expect(() => checkNoAnchorFlags(Before | After | AllowMulti, 'attach tcx')).toThrow(/attach tcx: disallowed flags 0x18/);
    expect(() => checkNoAnchorFlags(Link, 'x')).toThrow(/0x2000/);
  });

  it('rejects what is not a u32', () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) expect(() => checkNoAnchorFlags(bad, 'x')).toThrow(InvalidArgumentError);
  });
});
