/** BTF kinds (`BTF_KIND_*` in include/uapi/linux/btf.h). */
export const Kind = {
  Void: 0,
  Int: 1,
  Ptr: 2,
  Array: 3,
  Struct: 4,
  Union: 5,
  Enum: 6,
  Fwd: 7,
  Typedef: 8,
  Volatile: 9,
  Const: 10,
  Restrict: 11,
  Func: 12,
  FuncProto: 13,
  Var: 14,
  Datasec: 15,
  Float: 16,
  DeclTag: 17,
  TypeTag: 18,
  Enum64: 19,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The kernel's spelling of each kind, as bpftool prints it (`FUNC`, `STRUCT`, ...). */
export const KIND_NAMES = [
  'VOID', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE',
  'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
] as const;
export type KindName = (typeof KIND_NAMES)[number];

export const MAX_KIND = Kind.Enum64;

/** A kind given either as `Kind.Func` or as the kernel's name `'FUNC'`. */
export type KindLike = Kind | KindName;

export function kindNumber(kind: KindLike): Kind | undefined {
  if (typeof kind === 'number') return Number.isInteger(kind) && kind >= 0 && kind <= MAX_KIND ? kind : undefined;
  const i = KIND_NAMES.indexOf(kind);
  return i < 0 ? undefined : (i as Kind);
}

export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? `KIND_${kind}`;
}

/** Bytes of kind-specific data after the 12-byte `struct btf_type`, given vlen. */
export function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case Kind.Int:
    case Kind.Var:
    case Kind.DeclTag:
      return 4;
    case Kind.Array:
      return 12;
    case Kind.Struct:
    case Kind.Union:
    case Kind.Datasec:
    case Kind.Enum64:
      return 12 * vlen;
    case Kind.Enum:
    case Kind.FuncProto:
      return 8 * vlen;
    default:
      return 0;
  }
}

/** Func linkage (`enum btf_func_linkage`) and var linkage. */
export const Linkage = { Static: 0, Global: 1, Extern: 2 } as const;
export type Linkage = (typeof Linkage)[keyof typeof Linkage];
