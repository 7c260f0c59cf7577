import { asm, Helper, Map as BpfMap, Program, ProgramType } from '@bpfkit/ebpf';

/** TCX_NEXT: hand the packet to the next program at the hook. */
export const TCX_NEXT = -1;

/**
 * A SchedCLS program that records when it ran: it bumps the sequence number at key 0 of `map`
 * (array, u32 keys, u64 values) and stores the new number at key `slot`, then returns TCX_NEXT so
 * the next program at the hook runs too. Of two programs that saw the same packet, the one that
 * ran second holds the other's number plus one.
 */
export function orderedProgram(map: BpfMap, slot: number): Program {
  const lookup = (key: number, out: string) => [
    asm.storeImm('r10', -4, key, 4),
    asm.mov64('r2', 'r10'),
    asm.add64('r2', -4),
    asm.ldMapFd('r1', map),
    asm.call(Helper.MapLookupElem),
    asm.jeq('r0', 0, out),
  ];
  return Program.load({
    type: ProgramType.SchedCLS,
    license: 'GPL',
    name: `bpfkit_order${slot}`,
    instructions: [
      ...lookup(0, 'out'),
      asm.mov64('r6', 1),
      asm.atomicAdd('r0', 0, 'r6', 8, { fetch: true }),
      asm.add64('r6', 1),
      ...lookup(slot, 'out'),
      asm.storeMem('r0', 0, 'r6', 8),
      asm.label('out'),
      asm.mov64('r0', TCX_NEXT),
      asm.exit(),
    ],
  });
}

/** The slots of `map` ordered by when their programs last ran (first ran first). */
export function runOrder(map: BpfMap, slots: number[]): number[] {
  const at = (slot: number) => map.lookupU64(slot) ?? 0n;
  return [...slots].sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0));
}
