import { asm, type AsmItem, type FdSource } from './asm.js';
import { Helper } from './helper.js';

export interface CounterProgramOptions {
  /** The array-map key whose u64 value is incremented (default 0). */
  key?: number;
  /** What the program returns (default 0): e.g. 0xffff keeps a whole packet in a socket filter, 2 is XDP_PASS. */
  returnValue?: number;
}

/**
 * A program that atomically increments the u64 at `key` of an array map (u32 keys, u64 values)
 * and returns `returnValue`. Valid for any program type whose context it does not touch.
 */
export function counterProgram(map: FdSource, options: CounterProgramOptions = {}): AsmItem[] {
  return [
    asm.storeImm('r10', -4, options.key ?? 0, 4),
    asm.mov64('r2', 'r10'),
    asm.add64('r2', -4),
    asm.ldMapFd('r1', map),
    asm.call(Helper.MapLookupElem),
    asm.jeq('r0', 0, 'out'),
    asm.mov64('r1', 1),
    asm.atomicAdd('r0', 0, 'r1', 8),
    asm.label('out'),
    asm.mov64('r0', options.returnValue ?? 0),
    asm.exit(),
  ];
}
