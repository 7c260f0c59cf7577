import { InvalidArgumentError } from '@bpfkit/errors';
import { Kind, type Spec } from '@bpfkit/btf';
import { essentialName, fieldsCompatible, skipMods } from './match.js';

/** One step of a field access: an array index, or a member by name (anonymous members are walked through). */
export type Accessor = { kind: 'index'; index: number } | { kind: 'member'; name: string; index: number };

/** Where an access ends: the field's type and bit position from the root pointer. */
export interface FieldLocation {
  typeId: number;
  bitOffset: number;
  /** Width of a bitfield member, 0 otherwise. */
  bitfieldSize: number;
}

/** The local access spec (`0:1:2`): named accessors, and the field it reaches in the object's BTF. */
export interface LocalAccess {
  accessors: Accessor[];
  location: FieldLocation;
  /** `task_struct.real_parent.tgid`-style, for messages. */
  path: string;
}

/** Walk an access string through the object's (local) types, as the program was compiled against. */
export function localAccess(spec: Spec, rootId: number, access: string, what: string): LocalAccess {
  const raw = access.split(':').map((s) => Number(s));
  if (raw.length === 0 || raw.some((n) => !Number.isInteger(n) || n < 0)) throw new InvalidArgumentError('CO-RE', `${what}: bad access string ${JSON.stringify(access)}`);
  const root = skipMods(spec, rootId);
  const accessors: Accessor[] = [{ kind: 'index', index: raw[0]! }];
  let typeId = root.id;
  let bitOffset = raw[0]! * spec.size(root.id) * 8;
  let bitfieldSize = 0;
  const path: string[] = [root.name || '(anon)'];
  for (const idx of raw.slice(1)) {
    const t = skipMods(spec, typeId);
    if (t.kind === Kind.Struct || t.kind === Kind.Union) {
      const m = t.members[idx];
      if (!m) throw new InvalidArgumentError('CO-RE', `${what}: member ${idx} of ${t.name || '(anon)'} does not exist`);
      if (m.name) {
        accessors.push({ kind: 'member', name: m.name, index: idx });
        path.push(m.name);
      }
      bitOffset += m.bitOffset;
      bitfieldSize = m.bitfieldSize;
      typeId = m.type;
    } else if (t.kind === Kind.Array) {
      accessors.push({ kind: 'index', index: idx });
      path[path.length - 1] += `[${idx}]`;
      bitOffset += idx * spec.size(t.elemType) * 8;
      bitfieldSize = 0;
      typeId = t.elemType;
    } else {
      throw new InvalidArgumentError('CO-RE', `${what}: access ${access} indexes into a non-aggregate`);
    }
  }
  return { accessors, location: { typeId, bitOffset, bitfieldSize }, path: path.join('.') };
}

/** Find a member by essential name in a target struct/union, through anonymous members. */
function findMember(spec: Spec, typeId: number, name: string, depth = 0): FieldLocation | undefined {
  const t = skipMods(spec, typeId);
  if ((t.kind !== Kind.Struct && t.kind !== Kind.Union) || depth > 32) return undefined;
  const want = essentialName(name);
  for (const m of t.members) {
    if (m.name === '') {
      const inner = findMember(spec, m.type, name, depth + 1);
      if (inner) return { ...inner, bitOffset: inner.bitOffset + m.bitOffset };
    } else if (essentialName(m.name) === want) {
      return { typeId: m.type, bitOffset: m.bitOffset, bitfieldSize: m.bitfieldSize };
    }
  }
  return undefined;
}

/** Follow the local accessors through a target root type; undefined if the target lacks a step. */
export function targetField(local: Spec, access: LocalAccess, target: Spec, rootId: number): FieldLocation | undefined {
  const [first, ...rest] = access.accessors;
  let loc: FieldLocation = { typeId: rootId, bitOffset: first!.index * target.size(rootId) * 8, bitfieldSize: 0 };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a.kind === 'member') {
      const m = findMember(target, loc.typeId, a.name);
      if (!m) return undefined;
      loc = { typeId: m.typeId, bitOffset: loc.bitOffset + m.bitOffset, bitfieldSize: m.bitfieldSize };
    } else {
      const t = skipMods(target, loc.typeId);
      if (t.kind !== Kind.Array) return undefined;
      const flexible = t.nelems === 0 && i === rest.length - 1;
      if (a.index >= t.nelems && !flexible) return undefined;
      loc = { typeId: t.elemType, bitOffset: loc.bitOffset + a.index * target.size(t.elemType) * 8, bitfieldSize: 0 };
    }
  }
  return fieldsCompatible(local, access.location.typeId, target, loc.typeId) ? loc : undefined;
}

/** A field's load: libbpf's bpf_core_calc_field_relo for byte offset/size, signedness and shifts. */
export function fieldValues(spec: Spec, loc: FieldLocation): { byteOffset: number; byteSize: number; signed: boolean; lshift: number; rshift: number } {
  const t = skipMods(spec, loc.typeId);
  let byteSize = spec.size(t.id);
  let byteOffset = Math.floor(loc.bitOffset / 8);
  let bitSize = byteSize * 8;
  if (loc.bitfieldSize > 0) {
    bitSize = loc.bitfieldSize;
    byteOffset = Math.floor(loc.bitOffset / 8 / byteSize) * byteSize;
    while (loc.bitOffset + bitSize - byteOffset * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new InvalidArgumentError('CO-RE', 'a bitfield spans more than 8 bytes');
      byteSize *= 2;
      byteOffset = Math.floor(loc.bitOffset / 8 / byteSize) * byteSize;
    }
  }
  const signed = (t.kind === Kind.Int && t.signed) || ((t.kind === Kind.Enum || t.kind === Kind.Enum64) && t.signed);
  return { byteOffset, byteSize, signed, lshift: 64 - (loc.bitOffset + bitSize - byteOffset * 8), rshift: 64 - bitSize };
}
