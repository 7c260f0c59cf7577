import { counterProgram, Map as BpfMap, MapType, Program, type ProgramLoadOptions } from '@bpfkit/ebpf';

/** An array map of u64 counters (u32 keys). */
export function counterMap(entries = 1): BpfMap {
  return BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: entries, name: 'bpfkit_counter' });
}

export function readCounter(map: BpfMap, key = 0): bigint {
  return map.lookupU64(key) ?? 0n;
}

/** A program that counts its runs in `map` at `key` and returns `returnValue`. */
export function counting(
  map: BpfMap,
  load: Omit<ProgramLoadOptions, 'instructions' | 'license'>,
  opts: { key?: number; returnValue?: number } = {},
): Program {
  return Program.load({ ...load, instructions: counterProgram(map, opts), license: 'GPL', name: load.name ?? 'bpfkit_count' });
}
