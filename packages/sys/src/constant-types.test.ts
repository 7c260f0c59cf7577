import { describe, expect, it } from 'vitest';
import { AttachType, MapType, ProgType } from './constants.js';
import { mapCreate } from './map.js';
import { progLoad } from './prog.js';
import { RETURN_ZERO } from './testing/kernel.js';

describe('constants type-check only as their own table', () => {
  // Checked by tsc (pnpm lint/typecheck): each @ts-expect-error fails the build if the line compiles.
  it('progType takes ProgType values, mapType MapType values', () => {
    const wrong = () => [
      // @ts-expect-error an AttachType is not a ProgType
      progLoad({ progType: AttachType.XDP, insns: RETURN_ZERO, license: 'GPL' }),
      // @ts-expect-error 12345 is no MapType
      mapCreate({ mapType: 12345, keySize: 4, valueSize: 4, maxEntries: 1 }),
    ];
    const right = () => [
      progLoad({ progType: ProgType.SocketFilter, insns: RETURN_ZERO, license: 'GPL' }),
      mapCreate({ mapType: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 }),
    ];
    expect([typeof wrong, typeof right]).toEqual(['function', 'function']);
  });
});
