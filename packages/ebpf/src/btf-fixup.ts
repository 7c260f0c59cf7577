import { Kind, Spec } from '@bpfkit/btf';

const kindOf = (info: number): number => (info >>> 24) & 0x1f;
const vlenOf = (info: number): number => info & 0xffff;
const infoWord = (kind: number, vlen: number): number => ((kind << 24) | vlen) >>> 0;

/** Visit each type of a blob with a DataView on the blob and the type's byte offset. */
function eachType(data: Uint8Array, visit: (spec: Spec, id: number, at: number, view: DataView) => void): void {
  const spec = Spec.parse(data);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let id = spec.firstTypeId; id < spec.typeEnd; id++) visit(spec, id, spec.typeOffset(id), view);
}

/**
 * clang leaves each DATASEC's size and its VARs' offsets 0 in an object file: the linker would
 * place them. Fill them in from the ELF section sizes and symbol values (as libbpf does), in a copy.
 */
export function fixupObjectBTF(raw: Uint8Array, sectionSizes: Map<string, number>, symbolOffsets: Map<string, number>): Uint8Array {
  const data = raw.slice();
  eachType(data, (spec, id, at, view) => {
    if (spec.kind(id) !== Kind.Datasec) return;
    const sec = spec.type(id);
    if (sec.kind !== Kind.Datasec) return;
    const size = sectionSizes.get(sec.name);
    if (sec.size === 0 && size !== undefined) view.setUint32(at + 8, size, true);
    sec.vars.forEach((v, i) => {
      const offset = symbolOffsets.get(spec.type(v.type).name);
      if (offset !== undefined) view.setUint32(at + 12 + i * 12 + 4, offset, true);
    });
  });
  return data;
}

/**
 * Rewrite kinds an older kernel rejects (libbpf's bpf_object__sanitize_btf): DECL_TAG (5.16) as
 * INT, TYPE_TAG (5.17) as CONST, FLOAT (5.13) as an empty STRUCT, ENUM64 (6.0) as a UNION of an
 * integer, and signed ENUMs without kind_flag. Layouts stay the same, so type IDs do not move.
 */
export function sanitizeBTF(raw: Uint8Array): Uint8Array {
  const data = raw.slice();
  let intId = 0;
  eachType(data, (spec, id) => {
    if (!intId && spec.kind(id) === Kind.Int) intId = id;
  });
  eachType(data, (spec, _id, at, view) => {
    const info = view.getUint32(at + 4, true);
    switch (kindOf(info)) {
      case Kind.DeclTag:
        view.setUint32(at, 0, true);
        view.setUint32(at + 4, infoWord(Kind.Int, 0), true);
        view.setUint32(at + 8, 1, true);
        view.setUint32(at + 12, 8, true);
        break;
      case Kind.TypeTag:
        view.setUint32(at, 0, true);
        view.setUint32(at + 4, infoWord(Kind.Const, 0), true);
        break;
      case Kind.Float:
        view.setUint32(at, 0, true);
        view.setUint32(at + 4, infoWord(Kind.Struct, 0), true);
        break;
      case Kind.Enum:
        view.setUint32(at + 4, infoWord(Kind.Enum, vlenOf(info)), true);
        break;
      case Kind.Enum64:
        if (!intId || spec.size(intId) > view.getUint32(at + 8, true)) break;
        view.setUint32(at + 4, infoWord(Kind.Union, vlenOf(info)), true);
        for (let i = 0; i < vlenOf(info); i++) {
          view.setUint32(at + 12 + i * 12 + 4, intId, true);
          view.setUint32(at + 12 + i * 12 + 8, 0, true);
        }
        break;
    }
  });
  return data;
}
