import { asm, counterProgram, Helper, Map as BpfMap, MapType, Program, type ProgramLoadOptions } from '@bpfkit/ebpf';

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

/** A program that stores bpf_get_attach_cookie() in `map` at `key` (and counts nothing). */
export function cookieRecorder(map: BpfMap, load: Omit<ProgramLoadOptions, 'instructions' | 'license'>, key = 0): Program {
  return Program.load({
    ...load,
    license: 'GPL',
    name: load.name ?? 'bpfkit_cookie',
    instructions: [
      asm.call(Helper.GetAttachCookie),
      asm.storeMem('r10', -16, 'r0', 8),
      asm.storeImm('r10', -4, key, 4),
      asm.mov64('r2', 'r10'),
      asm.add64('r2', -4),
      asm.mov64('r3', 'r10'),
      asm.add64('r3', -16),
      asm.ldMapFd('r1', map),
      asm.mov64('r4', 0),
      asm.call(Helper.MapUpdateElem),
      asm.mov64('r0', 0),
      asm.exit(),
    ],
  });
}

/** A program that counts its runs in `map` at the key bpf_get_attach_cookie() gives. */
export function cookieCounter(map: BpfMap, load: Omit<ProgramLoadOptions, 'instructions' | 'license'>, returnValue = 0): Program {
  return Program.load({
    ...load,
    license: 'GPL',
    name: load.name ?? 'bpfkit_ckcount',
    instructions: [
      asm.call(Helper.GetAttachCookie),
      asm.storeMem('r10', -4, 'r0', 4),
      asm.mov64('r2', 'r10'),
      asm.add64('r2', -4),
      asm.ldMapFd('r1', map),
      asm.call(Helper.MapLookupElem),
      asm.jeq('r0', 0, 'out'),
      asm.mov64('r1', 1),
      asm.atomicAdd('r0', 0, 'r1', 8),
      asm.label('out'),
      asm.mov64('r0', returnValue),
      asm.exit(),
    ],
  });
}
