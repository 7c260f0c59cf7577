import { kernelModulesWithBTF, Kind, loadKernelBTF, loadModuleBTF, type Spec } from '@bpfkit/btf';
import { InvalidArgumentError, NotSupportedError, SymbolNotFoundError } from '@bpfkit/errors';
import type { CoreRelocation } from '../collection-spec.js';
import { fieldValues, localAccess, targetField } from './field.js';
import { candidates, CORE_KIND_NAMES, CoreKind, essentialName, isEnumKind, isFieldKind, skipMods, typesCompatible } from './match.js';
import { poison, patchInstruction } from './patch.js';

/** A relocation that could not be satisfied: its instruction now fails verification if reached. */
export interface PoisonedRelocation {
  insn: number;
  /** e.g. `field_exists of task_struct.no_such_field`, for the error if the verifier reaches it. */
  description: string;
}

interface Target {
  spec: Spec;
  ids: number[];
}

/** Kernel BTF to search: vmlinux, then each module with BTF, stopping at the first with candidates. */
function* kernelSpecs(): Generator<Spec> {
  yield loadKernelBTF();
  for (const module of kernelModulesWithBTF()) {
    try {
      yield loadModuleBTF(module);
    } catch (err) {
      if (!(err instanceof SymbolNotFoundError)) throw err;
    }
  }
}

function findTargets(local: Spec, localId: number, kernelTypes: Spec | undefined): Target | undefined {
  for (const spec of kernelTypes ? [kernelTypes] : kernelSpecs()) {
    const ids = candidates(local, localId, spec).filter((id) => id >= spec.firstTypeId);
    if (ids.length > 0) return { spec, ids };
  }
  return undefined;
}

/** The one value all matching candidates agree on; undefined when none matches; throws when they disagree. */
function agree(values: (bigint | undefined)[], what: string): bigint | undefined {
  const found = [...new Set(values.filter((v): v is bigint => v !== undefined))];
  if (found.length > 1) throw new InvalidArgumentError('CO-RE', `${what}: the kernel has several matching types that disagree (${found.join(', ')})`);
  return found[0];
}

function fieldValue(kind: number, v: ReturnType<typeof fieldValues>): bigint {
  switch (kind) {
    case CoreKind.FieldByteOffset:
      return BigInt(v.byteOffset);
    case CoreKind.FieldByteSize:
      return BigInt(v.byteSize);
    case CoreKind.FieldExists:
      return 1n;
    case CoreKind.FieldSigned:
      return v.signed ? 1n : 0n;
    case CoreKind.FieldLShiftU64:
      return BigInt(v.lshift);
    default:
      return BigInt(v.rshift);
  }
}

/** libbpf's bpf_core_types_match, simplified: compatible, and every named local member exists compatibly. */
function typeMatches(local: Spec, lid: number, target: Spec, tid: number): boolean {
  if (!typesCompatible(local, lid, target, tid)) return false;
  const l = skipMods(local, lid);
  const t = skipMods(target, tid);
  if ((l.kind === Kind.Struct || l.kind === Kind.Union) && (t.kind === Kind.Struct || t.kind === Kind.Union)) {
    return l.members.every((m) => !m.name || t.members.some((tm) => tm.name === m.name && typesCompatible(local, m.type, target, tm.type)));
  }
  if ((l.kind === Kind.Enum || l.kind === Kind.Enum64) && (t.kind === Kind.Enum || t.kind === Kind.Enum64)) {
    return l.values.every((v) => t.values.some((tv) => tv.name === v.name));
  }
  return true;
}

/**
 * Resolve a program's CO-RE relocations against the running kernel's BTF (or `kernelTypes`)
 * and patch its instructions in place, as libbpf's bpf_core_apply_relo_insn does. Relocations
 * the kernel cannot satisfy: existence checks become 0, anything else poisons its instruction
 * (so code guarded by bpf_core_field_exists still loads); the poisoned ones are returned.
 */
export function applyCoreRelocations(
  insns: Uint8Array,
  program: { name: string; coreRelocations: readonly CoreRelocation[] },
  local: Spec,
  kernelTypes?: Spec,
): PoisonedRelocation[] {
  const poisoned: PoisonedRelocation[] = [];
  for (const relo of program.coreRelocations) {
    const kindName = CORE_KIND_NAMES[relo.kind] ?? `kind ${relo.kind}`;
    const access = local.string(relo.accessStrOff);
    const what = `program ${program.name}: CO-RE ${kindName} relocation of ${local.type(relo.typeId).name || `type [${relo.typeId}]`} (access ${access}) at instruction ${relo.insnOffset}`;
    if (relo.kind > CoreKind.TypeMatches) throw new NotSupportedError(`CO-RE relocation kind ${relo.kind}`, { detail: what });
    let value: bigint | undefined;
    let description: string;
    let targetSize: number | undefined;
    if (relo.kind === CoreKind.TypeIDLocal) {
      value = BigInt(relo.typeId);
      description = `${kindName} of ${local.type(relo.typeId).name}`;
    } else if (isFieldKind(relo.kind)) {
      const spec = localAccess(local, relo.typeId, access, what);
      description = `${kindName} of ${spec.path}`;
      const targets = findTargets(local, skipMods(local, relo.typeId).id, kernelTypes);
      const locs = targets ? targets.ids.map((id) => targetField(local, spec, targets.spec, id)) : [];
      value = agree(locs.map((l) => (l ? fieldValue(relo.kind, fieldValues(targets!.spec, l)) : undefined)), what);
      const sizes = locs.map((l) => (l ? BigInt(fieldValues(targets!.spec, l).byteSize) : undefined));
      const size = agree(sizes, what);
      targetSize = size === undefined ? undefined : Number(size);
      if (value === undefined && relo.kind === CoreKind.FieldExists) value = 0n;
    } else if (isEnumKind(relo.kind)) {
      const enumType = skipMods(local, relo.typeId);
      if (enumType.kind !== Kind.Enum && enumType.kind !== Kind.Enum64) throw new InvalidArgumentError('CO-RE', `${what}: type is not an enum`);
      const enumerator = enumType.values[Number(access)];
      if (!enumerator) throw new InvalidArgumentError('CO-RE', `${what}: enum ${enumType.name} has no value ${access}`);
      description = `${kindName} of enum ${enumType.name}::${enumerator.name}`;
      const targets = findTargets(local, enumType.id, kernelTypes);
      value = agree(
        (targets?.ids ?? []).map((id) => {
          const t = skipMods(targets!.spec, id);
          if (t.kind !== Kind.Enum && t.kind !== Kind.Enum64) return undefined;
          const v = t.values.find((tv) => essentialName(tv.name) === essentialName(enumerator.name));
          if (!v) return undefined;
          return relo.kind === CoreKind.EnumvalExists ? 1n : BigInt(v.value);
        }),
        what,
      );
      if (value === undefined && relo.kind === CoreKind.EnumvalExists) value = 0n;
    } else {
      description = `${kindName} of ${local.type(relo.typeId).name}`;
      const targets = findTargets(local, relo.typeId, kernelTypes);
      const matching = (targets?.ids ?? []).filter((id) =>
        relo.kind === CoreKind.TypeMatches ? typeMatches(local, relo.typeId, targets!.spec, id) : typesCompatible(local, relo.typeId, targets!.spec, id),
      );
      const t = targets?.spec;
      if (relo.kind === CoreKind.TypeExists || relo.kind === CoreKind.TypeMatches) value = matching.length > 0 ? 1n : 0n;
      else if (relo.kind === CoreKind.TypeSize) value = agree(matching.map((id) => BigInt(t!.size(id))), what);
      else value = agree(matching.map((id) => BigInt(id)), what);
    }
    if (value === undefined) {
      poison(insns, relo.insnOffset);
      poisoned.push({ insn: relo.insnOffset, description });
    } else {
      patchInstruction(insns, relo.insnOffset, value, relo.kind === CoreKind.FieldByteOffset ? targetSize : undefined, what);
    }
  }
  return poisoned;
}
