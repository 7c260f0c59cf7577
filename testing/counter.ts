/**
 * Where a counter program's array map is read from: an object with `lookupU64` (ebpf's map), or a
 * raw lookup that fills `value` for `key` and says whether the key exists (sys's mapLookupElem).
 */
export type CounterSource =
  | { lookupU64(key: number): bigint | undefined }
  | ((key: Uint8Array, value: Uint8Array) => boolean);

/** The u64 a counter program increments at `key` (u32 keys) of its array map. */
export function readCounter(source: CounterSource, key = 0): bigint {
  if (typeof source !== 'function') {
    const n = source.lookupU64(key);
    if (n === undefined) throw new Error(`counter key ${key} missing`);
    return n;
  }
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, key, true);
  const value = new Uint8Array(8);
  if (!source(k, value)) throw new Error(`counter key ${key} missing`);
  return new DataView(value.buffer).getBigUint64(0, true);
}
