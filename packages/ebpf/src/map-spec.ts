import { Kind, kindName, type Spec } from '@bpfkit/btf';
import { InvalidArgumentError } from '@bpfkit/errors';
import { possibleCPUs } from './map.js';
import { MapType } from './types.js';

/** libbpf's `enum libbpf_pin_type`. */
export const PinType = { None: 0, ByName: 1 } as const;
export type PinType = (typeof PinType)[keyof typeof PinType];

/** A map as the object declares it (BTF-defined `.maps`, or a global data section). */
export interface MapSpec {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** LIBBPF_PIN_BY_NAME: reuse or create `<pinPath>/<name>`. */
  pinning: PinType;
  numaNode?: number;
  mapExtra?: bigint;
  /** Key and value type IDs in the object's BTF, for the map types the kernel checks them on. */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** ArrayOfMaps/HashOfMaps: the inner map's definition (its template is created from it). */
  innerMap?: MapSpec;
  /** Global data: the value of key 0, written before programs load. */
  contents?: Uint8Array;
  /** `.rodata`: frozen after it is written, so the verifier can treat it as constant. */
  freeze: boolean;
}

/** Map types whose key/value BTF the kernel accepts (libbpf leaves it off the fd-valued and ring types). */
const BTF_TYPED = new Set<number>([
  MapType.Hash, MapType.Array, MapType.PerCPUHash, MapType.PerCPUArray, MapType.LRUHash, MapType.LRUCPUHash, MapType.LPMTrie,
  MapType.CGroupStorage, MapType.PerCPUCGroupStorage, MapType.SkStorage, MapType.InodeStorage, MapType.TaskStorage, MapType.CgroupStorage,
]);

/** `__uint(name, N)` members and the MapSpec field each sets. */
const UINT_MEMBERS = new Map<string, 'type' | 'maxEntries' | 'flags' | 'numaNode' | 'keySize' | 'valueSize'>([
  ['type', 'type'],
  ['max_entries', 'maxEntries'],
  ['map_flags', 'flags'],
  ['numa_node', 'numaNode'],
  ['key_size', 'keySize'],
  ['value_size', 'valueSize'],
]);

/** Types whose keys and values are u32s (indexes and fds) unless the object says otherwise. */
const FD_VALUED = new Set<number>([MapType.PerfEventArray, MapType.ProgramArray, MapType.CGroupArray, MapType.ArrayOfMaps, MapType.HashOfMaps]);

/**
 * The maps of `.maps`: one VAR each in the `.maps` DATASEC, whose type is a struct of `__uint`
 * (pointer to `int[N]`), `__type` (pointer to the type) and `__array` members.
 */
export function mapSpecsFromBTF(types: Spec, source: string): MapSpec[] {
  const ids = types.findTypeIds('.maps', Kind.Datasec);
  if (ids.length === 0) throw new InvalidArgumentError('object', `${source}: .maps has no DATASEC in .BTF`);
  const sec = types.type(ids[0]!);
  if (sec.kind !== Kind.Datasec) return [];
  return sec.vars.map((v) => {
    const variable = types.type(v.type);
    if (variable.kind !== Kind.Var) throw new InvalidArgumentError('object', `${source}: .maps entry [${v.type}] is not a VAR`);
    return mapDefinition(types, variable.name, variable.type, source);
  });
}

function mapDefinition(types: Spec, name: string, typeId: number, source: string): MapSpec {
  const what = `${source}: map ${name}`;
  const def = types.type(types.resolve(typeId));
  if (def.kind !== Kind.Struct) throw new InvalidArgumentError('map', `${what}: its definition is a ${kindName(def.kind)}, not a struct of __uint/__type members`);
  const spec: MapSpec = { name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: PinType.None, freeze: false };
  const pointee = (member: string, id: number): number => {
    const t = types.type(types.resolve(id));
    if (t.kind !== Kind.Ptr) throw new InvalidArgumentError('map', `${what}: member ${member} is not declared with __uint/__type (not a pointer)`);
    return t.type;
  };
  const uint = (member: string, id: number): number => {
    const t = types.type(types.resolve(pointee(member, id)));
    if (t.kind !== Kind.Array) throw new InvalidArgumentError('map', `${what}: member ${member} is not a __uint(…) (pointer to an array)`);
    return t.nelems;
  };
  for (const m of def.members) {
    const field = UINT_MEMBERS.get(m.name);
    if (field) {
      spec[field] = uint(m.name, m.type);
      continue;
    }
    switch (m.name) {
      case 'map_extra':
        spec.mapExtra = BigInt(uint(m.name, m.type));
        break;
      case 'pinning': {
        const pin = uint(m.name, m.type);
        if (pin !== PinType.None && pin !== PinType.ByName) throw new InvalidArgumentError('map', `${what}: pinning ${pin} is not LIBBPF_PIN_NONE or LIBBPF_PIN_BY_NAME`);
        spec.pinning = pin;
        break;
      }
      case 'key': {
        const t = pointee(m.name, m.type);
        spec.keySize = types.size(t);
        spec.btfKeyTypeId = t;
        break;
      }
      case 'value': {
        const t = pointee(m.name, m.type);
        spec.valueSize = types.size(t);
        spec.btfValueTypeId = t;
        break;
      }
      case 'values': {
        const arr = types.type(types.resolve(m.type));
        if (arr.kind !== Kind.Array) throw new InvalidArgumentError('map', `${what}: member values is not an __array(values, …)`);
        spec.innerMap = mapDefinition(types, `${name}.inner`, pointee('values', arr.elemType), source);
        break;
      }
      default:
        throw new InvalidArgumentError('map', `${what}: unsupported member ${JSON.stringify(m.name)} in its definition`);
    }
  }
  if (spec.type === 0) throw new InvalidArgumentError('map', `${what}: its definition has no __uint(type, …)`);
  if (FD_VALUED.has(spec.type)) {
    spec.keySize ||= 4;
    spec.valueSize ||= 4;
  }
  if (spec.type === MapType.PerfEventArray && spec.maxEntries === 0) spec.maxEntries = possibleCPUs();
  if (spec.innerMap && spec.type !== MapType.ArrayOfMaps && spec.type !== MapType.HashOfMaps) {
    throw new InvalidArgumentError('map', `${what}: __array(values, …) is only for ARRAY_OF_MAPS and HASH_OF_MAPS`);
  }
  if (!BTF_TYPED.has(spec.type)) {
    delete spec.btfKeyTypeId;
    delete spec.btfValueTypeId;
  }
  return spec;
}
