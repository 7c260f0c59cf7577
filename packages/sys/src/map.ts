import { Errno, SyscallError } from '@bpfkit/errors';
import { AttrWriter } from './attr.js';
import { bpf, bpfFD } from './bpf.js';
import { Cmd, OBJ_NAME_LEN, type MapType } from './constants.js';
import type { FD } from './fd.js';
import { addressOf } from './libc.js';


export interface MapCreateAttr {
  mapType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags?: number;
  innerMapFd?: number;
  numaNode?: number;
  mapName?: string;
  mapIfindex?: number;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
  mapExtra?: bigint;
  valueTypeBtfObjFd?: number;
}

export const MAP_CREATE_ATTR_SIZE = 80;

export function encodeMapCreateAttr(a: MapCreateAttr): Uint8Array {
  return new AttrWriter(MAP_CREATE_ATTR_SIZE)
    .u32(0, a.mapType, 'mapType')
    .u32(4, a.keySize, 'keySize')
    .u32(8, a.valueSize, 'valueSize')
    .u32(12, a.maxEntries, 'maxEntries')
    .u32(16, a.mapFlags, 'mapFlags')
    .u32(20, a.innerMapFd, 'innerMapFd')
    .u32(24, a.numaNode, 'numaNode')
    .cstr(28, OBJ_NAME_LEN, a.mapName, 'mapName')
    .u32(44, a.mapIfindex, 'mapIfindex')
    .u32(48, a.btfFd, 'btfFd')
    .u32(52, a.btfKeyTypeId, 'btfKeyTypeId')
    .u32(56, a.btfValueTypeId, 'btfValueTypeId')
    .u32(60, a.btfVmlinuxValueTypeId, 'btfVmlinuxValueTypeId')
    .u64(64, a.mapExtra, 'mapExtra')
    .s32(72, a.valueTypeBtfObjFd, 'valueTypeBtfObjFd').bytes;
}

/** BPF_MAP_CREATE. */
/** What `mapCreate` takes: MapCreateAttr whose mapType is one of the MapType table's values. */
export type MapCreateOptions = Omit<MapCreateAttr, 'mapType'> & { mapType: MapType };

export function mapCreate(a: MapCreateOptions): FD {
  return bpfFD(Cmd.MapCreate, encodeMapCreateAttr(a), 'map');
}

/** The attr of the element commands (`key`, then `value` or `next_key` at the same offset). */
export interface MapElemAttr {
  mapFd: number;
  key?: bigint;
  value?: bigint;
  flags?: number | bigint;
}

export const MAP_ELEM_ATTR_SIZE = 32;

export function encodeMapElemAttr(a: MapElemAttr): Uint8Array {
  return new AttrWriter(MAP_ELEM_ATTR_SIZE)
    .u32(0, a.mapFd, 'mapFd')
    .u64(8, a.key, 'key')
    .u64(16, a.value, 'value')
    .u64(24, a.flags, 'flags').bytes;
}

function elem(cmd: number, mapFd: number, key: Uint8Array | null, value: Uint8Array | null, flags?: number | bigint): void {
  const attr = encodeMapElemAttr({
    mapFd,
    key: key ? addressOf(key) : undefined,
    value: value ? addressOf(value) : undefined,
    flags,
  });
  bpf(cmd, attr, attr.byteLength, [key, value]);
}

/** BPF_MAP_LOOKUP_ELEM into `value`; false when the key does not exist. */
export function mapLookupElem(mapFd: number, key: Uint8Array, value: Uint8Array, flags?: number | bigint): boolean {
  try {
    elem(Cmd.MapLookupElem, mapFd, key, value, flags);
    return true;
  } catch (err) {
    if (err instanceof SyscallError && err.errno === Errno.ENOENT) return false;
    throw err;
  }
}

/** BPF_MAP_UPDATE_ELEM (flags: UpdateFlags.Any/NoExist/Exist/Lock). */
export function mapUpdateElem(mapFd: number, key: Uint8Array, value: Uint8Array, flags?: number | bigint): void {
  elem(Cmd.MapUpdateElem, mapFd, key, value, flags);
}

/** BPF_MAP_DELETE_ELEM; a missing key throws ENOENT. */
export function mapDeleteElem(mapFd: number, key: Uint8Array): void {
  elem(Cmd.MapDeleteElem, mapFd, key, null);
}

/** BPF_MAP_GET_NEXT_KEY: the key after `key` (the first key when null) into `nextKey`; false at the end. */
export function mapGetNextKey(mapFd: number, key: Uint8Array | null, nextKey: Uint8Array): boolean {
  try {
    elem(Cmd.MapGetNextKey, mapFd, key, nextKey);
    return true;
  } catch (err) {
    if (err instanceof SyscallError && err.errno === Errno.ENOENT) return false;
    throw err;
  }
}

/** BPF_MAP_FREEZE: no more writes from user space. */
export function mapFreeze(mapFd: number): void {
  bpf(Cmd.MapFreeze, encodeMapElemAttr({ mapFd }));
}
