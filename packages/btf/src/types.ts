import type { Kind } from './kind.js';

/** A struct/union member. Offsets are in bits from the start of the aggregate. */
export interface Member {
  name: string;
  type: number;
  bitOffset: number;
  /** Width of a bitfield member in bits; 0 for ordinary members. */
  bitfieldSize: number;
}

export interface Param {
  name: string;
  type: number;
}

export interface EnumValue {
  name: string;
  value: number;
}

export interface Enum64Value {
  name: string;
  value: bigint;
}

export interface VarSecinfo {
  type: number;
  offset: number;
  size: number;
}

interface Base<K extends Kind> {
  id: number;
  kind: K;
  name: string;
}

export type VoidType = Base<typeof Kind.Void>;
export interface IntType extends Base<typeof Kind.Int> {
  size: number;
  signed: boolean;
  char: boolean;
  bool: boolean;
  bitOffset: number;
  bits: number;
}
export interface PtrType extends Base<typeof Kind.Ptr> { type: number }
export interface ArrayType extends Base<typeof Kind.Array> { elemType: number; indexType: number; nelems: number }
export interface StructType extends Base<typeof Kind.Struct> { size: number; members: Member[] }
export interface UnionType extends Base<typeof Kind.Union> { size: number; members: Member[] }
export interface EnumType extends Base<typeof Kind.Enum> { size: number; signed: boolean; values: EnumValue[] }
export interface FwdType extends Base<typeof Kind.Fwd> { union: boolean }
export interface TypedefType extends Base<typeof Kind.Typedef> { type: number }
export interface VolatileType extends Base<typeof Kind.Volatile> { type: number }
export interface ConstType extends Base<typeof Kind.Const> { type: number }
export interface RestrictType extends Base<typeof Kind.Restrict> { type: number }
export interface FuncType extends Base<typeof Kind.Func> { type: number; linkage: number }
export interface FuncProtoType extends Base<typeof Kind.FuncProto> {
  returnType: number;
  params: Param[];
  /** The last parameter was `...` (encoded as a nameless void parameter). */
  variadic: boolean;
}
export interface VarType extends Base<typeof Kind.Var> { type: number; linkage: number }
export interface DatasecType extends Base<typeof Kind.Datasec> { size: number; vars: VarSecinfo[] }
export interface FloatType extends Base<typeof Kind.Float> { size: number }
export interface DeclTagType extends Base<typeof Kind.DeclTag> { type: number; componentIdx: number }
export interface TypeTagType extends Base<typeof Kind.TypeTag> { type: number }
export interface Enum64Type extends Base<typeof Kind.Enum64> { size: number; signed: boolean; values: Enum64Value[] }

/** One decoded BTF type; discriminate on `kind`. */
export type BtfType =
  | VoidType
  | IntType
  | PtrType
  | ArrayType
  | StructType
  | UnionType
  | EnumType
  | FwdType
  | TypedefType
  | VolatileType
  | ConstType
  | RestrictType
  | FuncType
  | FuncProtoType
  | VarType
  | DatasecType
  | FloatType
  | DeclTagType
  | TypeTagType
  | Enum64Type;

/** A FUNC resolved to its prototype. */
export interface FuncSignature {
  id: number;
  name: string;
  protoId: number;
  linkage: number;
  returnType: number;
  params: Param[];
  variadic: boolean;
}
