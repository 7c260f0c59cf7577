import * as sys from '@bpfkit/sys';
import { asm, counterProgram, Helper, Map as BpfMap, MapType, NotSupportedError, Program, ProgramType, VerifierError, type ProgramLoadOptions } from '@bpfkit/ebpf';

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
    // counterProgram with the key the cookie gives in place of its first instruction (key = imm).
    instructions: [asm.call(Helper.GetAttachCookie), asm.storeMem('r10', -4, 'r0', 4), ...counterProgram(map, { returnValue }).slice(1)],
  });
}

const cookieProbes = new Map<string, () => void>();

/**
 * A probe for bpf_get_attach_cookie in programs loaded like `load` (kprobes and tracepoints 5.15,
 * tracing 5.19, raw tracepoints 6.10): tests that load the programs above need it.
 */
export function attachCookieIn(load: Omit<ProgramLoadOptions, 'instructions' | 'license'>): () => void {
  const key = JSON.stringify(load);
  let probe = cookieProbes.get(key);
  if (!probe) {
    probe = sys.probe(`bpf_get_attach_cookie in program type ${load.type}`, () => {
      const map = counterMap();
      try {
        cookieRecorder(map, load).close();
      } catch (err) {
        // The verifier names the helper it does not allow here: "unknown func bpf_get_attach_cookie#174".
        if (err instanceof VerifierError && /#174\b/.test(err.log)) {
          throw new NotSupportedError(`bpf_get_attach_cookie in program type ${load.type}`, { minimumKernel: load.type === ProgramType.RawTracepoint ? '6.10' : '5.15', cause: err });
        }
        throw err;
      } finally {
        map.close();
      }
    });
    cookieProbes.set(key, probe);
  }
  return probe;
}

/**
 * Attach closures for link kinds whose program attaches once on some kernels (tracing and LSM
 * programs on 5.10): the first call gets `first`, later ones a fresh copy from `load`, closed by
 * the returned `close`.
 */
export function freshPrograms(first: Program, load: () => Program): { next: () => Program; [Symbol.dispose](): void } {
  const extra: Program[] = [];
  let used = false;
  return {
    next: () => {
      if (!used) return (used = true), first;
      const p = load();
      extra.push(p);
      return p;
    },
    [Symbol.dispose]: () => extra.forEach((p) => p.close()),
  };
}
