import { Kind, kindName, type BtfType, type Spec } from '@bpfkit/btf';

/** `enum bpf_core_relo_kind` (include/uapi/linux/bpf.h). */
export const CoreKind = {
  FieldByteOffset: 0,
  FieldByteSize: 1,
  FieldExists: 2,
  FieldSigned: 3,
  FieldLShiftU64: 4,
  FieldRShiftU64: 5,
  TypeIDLocal: 6,
  TypeIDTarget: 7,
  TypeExists: 8,
  TypeSize: 9,
  EnumvalExists: 10,
  EnumvalValue: 11,
  TypeMatches: 12,
} as const;

export const CORE_KIND_NAMES = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64',
  'local_type_id', 'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
] as const;

export const isFieldKind = (k: number): boolean => k <= CoreKind.FieldRShiftU64;
export const isEnumKind = (k: number): boolean => k === CoreKind.EnumvalExists || k === CoreKind.EnumvalValue;

/** A type name without its `___flavor` suffix (libbpf's bpf_core_essential_name_len). */
export function essentialName(name: string): string {
  const i = name.lastIndexOf('___');
  return i > 0 ? name.slice(0, i) : name;
}

const MAX_DEPTH = 32;

/** Skip typedefs and modifiers (const, volatile, restrict, type tags). */
export function skipMods(spec: Spec, id: number): BtfType {
  return spec.type(spec.resolve(id));
}

const isIntLike = (t: BtfType): boolean => t.kind === Kind.Int || t.kind === Kind.Enum || t.kind === Kind.Enum64;

/**
 * Whether a field's local and target types can be read the same way (libbpf's
 * bpf_core_fields_are_compat): integers/enums with integers/enums, pointers with pointers,
 * floats with floats, aggregates with the same kind of the same essential name, arrays by element.
 */
export function fieldsCompatible(local: Spec, lid: number, target: Spec, tid: number, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const l = skipMods(local, lid);
  const t = skipMods(target, tid);
  if (isIntLike(l) && isIntLike(t)) return true;
  if (l.kind !== t.kind) return false;
  switch (l.kind) {
    case Kind.Ptr:
    case Kind.Float:
      return true;
    case Kind.Fwd:
    case Kind.Struct:
    case Kind.Union:
      return essentialName(l.name) === essentialName(t.name) || l.name === '' || t.name === '';
    case Kind.Array:
      return t.kind === Kind.Array && fieldsCompatible(local, l.elemType, target, t.elemType, depth + 1);
    default:
      return false;
  }
}

/**
 * Whether two types are compatible for type-based relocations (libbpf's bpf_core_types_are_compat):
 * same kind after typedefs and modifiers, pointers and arrays compared by what they point to,
 * function prototypes by their parameters; named types are already matched by name.
 */
export function typesCompatible(local: Spec, lid: number, target: Spec, tid: number, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const l = skipMods(local, lid);
  const t = skipMods(target, tid);
  if ((l.kind === Kind.Enum || l.kind === Kind.Enum64) && (t.kind === Kind.Enum || t.kind === Kind.Enum64)) return true;
  if (l.kind !== t.kind) return false;
  switch (l.kind) {
    case Kind.Void:
    case Kind.Struct:
    case Kind.Union:
    case Kind.Fwd:
    case Kind.Float:
      return true;
    case Kind.Int:
      return t.kind === Kind.Int && l.size === t.size;
    case Kind.Ptr:
      return t.kind === Kind.Ptr && typesCompatible(local, l.type, target, t.type, depth + 1);
    case Kind.Array:
      return t.kind === Kind.Array && typesCompatible(local, l.elemType, target, t.elemType, depth + 1);
    case Kind.FuncProto:
      return (
        t.kind === Kind.FuncProto &&
        l.params.length === t.params.length &&
        typesCompatible(local, l.returnType, target, t.returnType, depth + 1) &&
        l.params.every((p, i) => typesCompatible(local, p.type, target, t.params[i]!.type, depth + 1))
      );
    default:
      return false;
  }
}

/** The kinds a candidate for a local type of `kind` may have. */
function sameKindFamily(a: number, b: number): boolean {
  const enumLike = (k: number): boolean => k === Kind.Enum || k === Kind.Enum64;
  return a === b || (enumLike(a) && enumLike(b));
}

/** Types of `target` named like `local` (without its flavor) and of its kind: libbpf's candidates. */
export function candidates(local: Spec, localId: number, target: Spec): number[] {
  const t = local.type(localId);
  const name = essentialName(t.name);
  if (!name) return [];
  return target.findTypeIds(name).filter((id) => sameKindFamily(target.kind(id), t.kind));
}

export function describeType(spec: Spec, id: number): string {
  const t = spec.type(id);
  return `${kindName(t.kind).toLowerCase()} ${t.name || '(anon)'}`;
}
