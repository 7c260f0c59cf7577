import { describe, expect, it } from 'vitest';
import { BtfBuilder } from './builder.js';
import { Spec } from './spec.js';

describe('Spec.typeOffset', () => {
  it("points at each type's struct btf_type in the blob", () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const st = b.struct('pair', 8, [
      { name: 'a', type: int, bitOffset: 0 },
      { name: 'b', type: int, bitOffset: 32 },
    ]);
    const ptr = b.ptr(st);
    const spec = Spec.parse(b.encode());
    const view = new DataView(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength);
    for (const id of [int, st, ptr]) {
      const at = spec.typeOffset(id);
      const t = spec.type(id);
      expect((view.getUint32(at + 4, true) >>> 24) & 0x1f).toBe(t.kind);
      if (t.name) expect(spec.string(view.getUint32(at, true))).toBe(t.name);
    }
    // The struct follows the INT's 12-byte header and 4 bytes of INT data.
    expect(spec.typeOffset(st) - spec.typeOffset(int)).toBe(16);
  });

  it('refuses void, out-of-range IDs and the types of a base', () => {
    const b = new BtfBuilder();
    b.int('int', 4);
    const base = Spec.parse(b.encode(), { name: 'base' });
    expect(() => base.typeOffset(0)).toThrow(/not a type of base/);
    expect(() => base.typeOffset(5)).toThrow();
    const split = new BtfBuilder({ base });
    split.ptr(1);
    const spec = Spec.parse(split.encode(), { base, name: 'split' });
    expect(() => spec.typeOffset(1)).toThrow(/not a type of split/);
    expect(spec.typeOffset(2)).toBeGreaterThanOrEqual(24);
  });
});
