import { readFileSync } from 'node:fs';
import { BtfBuilder, findKernelType, Kind } from '@bpfkit/btf';
import { InvalidArgumentError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { withMemlock } from './memlock.js';
import { moduleBTFObject } from './kernel-btf.js';
import { argumentFd, FdObject, openByID, openPinnedAs, wrapForeignFd } from './fd-object.js';
import { objectName, u32Option, type PinnedOptions } from './object.js';
import { kernelSyscalls } from './syscalls.js';
import { MapType } from './types.js';

/** Flags for update(), cilium's UpdateAny/UpdateNoExist/UpdateExist/UpdateLock: sys's one UpdateFlags table. */
export const MapUpdateFlags = sys.UpdateFlags;
export type MapUpdateFlags = sys.UpdateFlags;

export interface MapCreateOptions {
  type: MapType;
  /** Required, except for StructOpsMap (4). */
  keySize?: number;
  /** Required, except for StructOpsMap (the size of `bpf_struct_ops_<structOps>`). */
  valueSize?: number;
  /** Required, except for StructOpsMap (1). */
  maxEntries?: number;
  /** map_flags (BPF_F_*). */
  flags?: number;
  /** Up to 15 characters of [A-Za-z0-9_.]; others are dropped, longer names truncated. */
  name?: string;
  /** Template for the inner maps of ArrayOfMaps/HashOfMaps. */
  innerMap?: BpfMap;
  numaNode?: number;
  /** BTF describing key and value. */
  btf?: { data: Uint8Array; keyTypeId: number; valueTypeId: number };
  /** StructOpsMap: the kernel struct it implements, e.g. `tcp_congestion_ops`. */
  structOps?: string;
  mapExtra?: number | bigint;
}

export type MapInfo = sys.MapInfo;

const PER_CPU_TYPES = new Set<number>([MapType.PerCPUHash, MapType.PerCPUArray, MapType.LRUCPUHash, MapType.PerCPUCGroupStorage]);

let possibleCPUCount: number | undefined;

/** Number of possible CPUs (/sys/devices/system/cpu/possible), which sizes per-CPU values. */
export function possibleCPUs(): number {
  if (possibleCPUCount === undefined) {
    let n = 0;
    for (const range of readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')) {
      const [a, b] = range.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    possibleCPUCount = n;
  }
  return possibleCPUCount;
}

/** A BTF blob with one INT: struct_ops maps need some btf_fd even though their value type is the kernel's. */
function placeholderBTF(): Uint8Array {
  const b = new BtfBuilder();
  b.int('int', 4, { signed: true });
  return b.encode();
}

type MapMeta = { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string };

/**
 * An eBPF map. Owns its fd; close it (or `using` it), or the finalizer will. Named BpfMap so
 * importing it never shadows the global Map (`Map` stays exported as an alias).
 */
export class BpfMap extends FdObject {
  readonly type: MapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;

  private constructor(fd: sys.FD, meta: MapMeta, pinnedPath?: string) {
    super(fd, 'map', pinnedPath);
    this.type = meta.type as MapType;
    this.keySize = meta.keySize;
    this.valueSize = meta.valueSize;
    this.maxEntries = meta.maxEntries;
    this.flags = meta.flags;
    this.name = meta.name;
  }

  /** Create a map (BPF_MAP_CREATE). */
  static create(opts: MapCreateOptions): BpfMap {
    if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    const type = u32Option(opts.type, 'type', true)!;
    const name = objectName(opts.name ?? '');
    const flags = u32Option(opts.flags, 'flags') ?? 0;
    if (opts.innerMap !== undefined && !(opts.innerMap instanceof BpfMap)) throw new InvalidArgumentError('innerMap', 'must be an open Map');
    const innerMapFd = opts.innerMap === undefined ? undefined : argumentFd(opts.innerMap, 'innerMap', 'map');
    if (type === MapType.StructOpsMap) return createStructOps(opts, name, flags);
    const keySize = u32Option(opts.keySize, 'keySize', true)!;
    const valueSize = u32Option(opts.valueSize, 'valueSize', true)!;
    const maxEntries = u32Option(opts.maxEntries, 'maxEntries', true)!;
    let btfFd: sys.FD | undefined;
    try {
      if (opts.btf) btfFd = kernelSyscalls.btfLoad({ btf: opts.btf.data });
      const fd = withMemlock(() => sys.mapCreate({
        mapType: type as MapType,
        keySize,
        valueSize,
        maxEntries,
        mapFlags: flags,
        mapName: name || undefined,
        innerMapFd,
        numaNode: u32Option(opts.numaNode, 'numaNode'),
        btfFd: btfFd?.fd,
        btfKeyTypeId: opts.btf ? u32Option(opts.btf.keyTypeId, 'btf.keyTypeId', true) : undefined,
        btfValueTypeId: opts.btf ? u32Option(opts.btf.valueTypeId, 'btf.valueTypeId', true) : undefined,
        mapExtra: opts.mapExtra === undefined ? undefined : BigInt(opts.mapExtra),
      }));
      return new BpfMap(fd, { type, keySize, valueSize, maxEntries, flags, name });
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext(`create map${name ? ` ${name}` : ''} (type ${type})`) : err;
    } finally {
      btfFd?.close();
    }
  }

  /**
   * Wrap an existing map fd. On success the Map owns `fd`; on error the caller still owns it.
   */
  static fromFD(fd: number): BpfMap {
    return wrapForeignFd(fd, 'map', wrapMap);
  }

  /** Open a map by its ID (BPF_MAP_GET_FD_BY_ID). */
  static fromID(id: number): BpfMap {
    return openByID(id, 'map', wrapMap);
  }

  /** Open a map pinned in bpffs. */
  static loadPinned(path: string, options: PinnedOptions = {}): BpfMap {
    return openPinnedAs(path, options, 'map', wrapMap);
  }

  /** Bytes a lookup returns: valueSize, or one 8-byte-aligned slot per possible CPU for per-CPU maps. */
  get lookupSize(): number {
    return PER_CPU_TYPES.has(this.type) ? Math.ceil(this.valueSize / 8) * 8 * possibleCPUs() : this.valueSize;
  }

  #key(key: Uint8Array | number | bigint): Uint8Array {
    if (key instanceof Uint8Array) {
      if (key.byteLength !== this.keySize) throw new InvalidArgumentError('key', `${key.byteLength} bytes, the map's keys are ${this.keySize}`);
      return key;
    }
    return encodeInt(key, this.keySize, 'key');
  }

  #value(value: Uint8Array | number | bigint): Uint8Array {
    const size = this.lookupSize;
    if (value instanceof Uint8Array) {
      if (value.byteLength !== size) throw new InvalidArgumentError('value', `${value.byteLength} bytes, the map's values are ${size}`);
      return value;
    }
    if (PER_CPU_TYPES.has(this.type)) throw new InvalidArgumentError('value', `per-CPU maps take a ${size}-byte buffer (one slot per CPU)`);
    return encodeInt(value, this.valueSize, 'value');
  }

  #fail(err: unknown, what: string): never {
    throw err instanceof SyscallError ? err.withContext(`${what} (map${this.name ? ` ${this.name}` : ''})`) : err;
  }

  /** The value at `key`, or undefined. Numbers and bigints are encoded as little-endian keys of keySize. */
  lookup(key: Uint8Array | number | bigint): Uint8Array | undefined {
    const fd = this.openFd('look up');
    const k = this.#key(key);
    const value = new Uint8Array(this.lookupSize);
    try {
      return sys.mapLookupElem(fd, k, value) ? value : undefined;
    } catch (err) {
      this.#fail(err, 'look up');
    }
  }

  /** Create or replace the value at `key` (flags: MapUpdateFlags). */
  update(key: Uint8Array | number | bigint, value: Uint8Array | number | bigint, flags: number = MapUpdateFlags.Any): void {
    const fd = this.openFd('update');
    const k = this.#key(key);
    const v = this.#value(value);
    try {
      sys.mapUpdateElem(fd, k, v, flags);
    } catch (err) {
      this.#fail(err, 'update');
    }
  }

  /** Remove `key`; a missing key throws a SyscallError with code ENOENT. */
  delete(key: Uint8Array | number | bigint): void {
    const fd = this.openFd('delete');
    const k = this.#key(key);
    try {
      sys.mapDeleteElem(fd, k);
    } catch (err) {
      this.#fail(err, 'delete');
    }
  }

  lookupU32(key: Uint8Array | number | bigint): number | undefined {
    if (this.valueSize !== 4) throw new InvalidArgumentError('map', `values are ${this.valueSize} bytes, not 4`);
    const v = this.lookup(key);
    return v && new DataView(v.buffer, v.byteOffset).getUint32(0, true);
  }

  lookupU64(key: Uint8Array | number | bigint): bigint | undefined {
    if (this.valueSize !== 8) throw new InvalidArgumentError('map', `values are ${this.valueSize} bytes, not 8`);
    const v = this.lookup(key);
    return v && new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
  }

  /** Per-CPU maps: one value per possible CPU. */
  lookupPerCPU(key: Uint8Array | number | bigint): Uint8Array[] | undefined {
    if (!PER_CPU_TYPES.has(this.type)) throw new InvalidArgumentError('map', 'is not a per-CPU map');
    const v = this.lookup(key);
    if (!v) return undefined;
    const stride = Math.ceil(this.valueSize / 8) * 8;
    return Array.from({ length: possibleCPUs() }, (_, i) => v.slice(i * stride, i * stride + this.valueSize));
  }

  updateU32(key: Uint8Array | number | bigint, value: number, flags?: number): void {
    if (this.valueSize !== 4) throw new InvalidArgumentError('map', `values are ${this.valueSize} bytes, not 4`);
    this.update(key, encodeInt(value, 4, 'value'), flags);
  }

  updateU64(key: Uint8Array | number | bigint, value: number | bigint, flags?: number): void {
    if (this.valueSize !== 8) throw new InvalidArgumentError('map', `values are ${this.valueSize} bytes, not 8`);
    this.update(key, encodeInt(value, 8, 'value'), flags);
  }

  /** Every key (BPF_MAP_GET_NEXT_KEY). Keys deleted while iterating are skipped by the kernel. */
  *keys(): IterableIterator<Uint8Array> {
    let prev: Uint8Array | null = null;
    for (;;) {
      const next = new Uint8Array(this.keySize);
      let more: boolean;
      try {
        more = sys.mapGetNextKey(this.openFd('iterate'), prev, next);
      } catch (err) {
        this.#fail(err, 'iterate');
      }
      if (!more) return;
      yield next;
      prev = next;
    }
  }

  /** Every [key, value] pair; entries deleted between the key walk and the lookup are skipped. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value) yield [key, value];
    }
  }

  [Symbol.iterator](): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.entries();
  }

  info(): MapInfo {
    return sys.mapInfo(this.openFd('get info'));
  }

  clone(): BpfMap {
    return new BpfMap(this.dupFd(), this);
  }

  toString(): string {
    return `Map(${this.name || `type ${this.type}`}, fd ${this.fd})`;
  }

  /** @internal */
  static wrap(fd: sys.FD, meta: MapMeta, pinnedPath?: string): BpfMap {
    return new BpfMap(fd, meta, pinnedPath);
  }
}

/** The API.md name; the class is BpfMap so that importing it does not shadow the global Map. */
export { BpfMap as Map };

function encodeInt(v: number | bigint, size: number, what: string): Uint8Array {
  if (size !== 4 && size !== 8) throw new InvalidArgumentError(what, `numbers only encode 4- or 8-byte ${what}s; this map's are ${size} bytes`);
  const big = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : undefined;
  const max = size === 4 ? 0xffffffffn : 0xffffffffffffffffn;
  if (big === undefined || big < 0n || big > max) throw new InvalidArgumentError(what, `${v} does not fit in ${size} unsigned bytes`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  if (size === 4) view.setUint32(0, Number(big), true);
  else view.setBigUint64(0, big, true);
  return out;
}

function wrapMap(owned: sys.FD, pinnedPath?: string): BpfMap {
  return BpfMap.wrap(owned, sys.mapInfo(owned.fd), pinnedPath);
}

/** StructOpsMap: value type `bpf_struct_ops_<name>` from kernel BTF (module BTF via its object fd). */
function createStructOps(opts: MapCreateOptions, name: string, flags: number): BpfMap {
  if (typeof opts.structOps !== 'string' || opts.structOps === '') {
    throw new InvalidArgumentError('structOps', 'a StructOpsMap needs the kernel struct it implements, e.g. "tcp_congestion_ops"');
  }
  const valueName = `bpf_struct_ops_${opts.structOps}`;
  let found;
  try {
    found = findKernelType(valueName, Kind.Struct);
  } catch (err) {
    if (err instanceof SymbolNotFoundError) throw new SymbolNotFoundError(opts.structOps, { path: 'kernel BTF', detail: `no STRUCT ${valueName}`, cause: err });
    throw err;
  }
  const valueSize = found.spec.size(found.typeId);
  const keySize = u32Option(opts.keySize, 'keySize') ?? 4;
  const maxEntries = u32Option(opts.maxEntries, 'maxEntries') ?? 1;
  if (opts.valueSize !== undefined && opts.valueSize !== valueSize) {
    throw new InvalidArgumentError('valueSize', `${opts.valueSize} differs from sizeof(struct ${valueName}) = ${valueSize}`);
  }
  const fds: sys.FD[] = [];
  try {
    const btfFd = kernelSyscalls.btfLoad({ btf: opts.btf?.data ?? placeholderBTF() });
    fds.push(btfFd);
    let objFd: sys.FD | undefined;
    if (found.module !== undefined) {
      objFd = moduleBTFObject(found.module, kernelSyscalls);
      fds.push(objFd);
    }
    const mapFlags = flags | (objFd ? sys.MapFlags.VtypeBtfObjFd : 0);
    const fd = withMemlock(() => sys.mapCreate({
      mapType: MapType.StructOpsMap,
      keySize,
      valueSize,
      maxEntries,
      mapFlags,
      mapName: name || undefined,
      btfFd: btfFd.fd,
      btfVmlinuxValueTypeId: found.typeId,
      valueTypeBtfObjFd: objFd?.fd,
    }));
    return BpfMap.wrap(fd, { type: MapType.StructOpsMap, keySize, valueSize, maxEntries, flags: mapFlags, name });
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext(`create struct_ops map for ${opts.structOps}`) : err;
  } finally {
    for (const fd of fds) fd.close();
  }
}
