import { InvalidArgumentError } from '@bpfkit/errors';
import { Kind, Linkage } from './kind.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, type Spec } from './spec.js';

export interface IntOptions {
  signed?: boolean;
  char?: boolean;
  bool?: boolean;
  /** Width in bits; defaults to size * 8. */
  bits?: number;
  bitOffset?: number;
}

export interface MemberSpec {
  name: string;
  type: number;
  /** Offset in bits from the start of the aggregate. */
  bitOffset: number;
  /** Bitfield width; any non-zero width switches the aggregate to the kind_flag encoding. */
  bitfieldSize?: number;
}

const u32 = (value: number, what: string): number => {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(what, `${value} is not a 32-bit unsigned integer`);
  }
  return value;
};

/**
 * Builds a small BTF blob: types are appended in order and each call returns the new type ID.
 * With `base` the blob is split BTF on top of it (IDs and string offsets continue the base's).
 */
export class BtfBuilder {
  readonly #words: number[] = [];
  readonly #strings: Uint8Array[] = [new Uint8Array(1)];
  readonly #stringOffsets = new Map<string, number>([['', 0]]);
  #stringLen = 1;
  readonly #firstId: number;
  readonly #stringBase: number;
  #nextId: number;

  constructor(options: { base?: Spec } = {}) {
    this.#firstId = options.base ? options.base.typeEnd : 1;
    this.#nextId = this.#firstId;
    this.#stringBase = options.base ? options.base.stringBase + stringSectionLength(options.base) : 0;
    if (options.base) {
      // Split BTF has no leading empty string of its own: offset 0 is the base's.
      this.#strings.length = 0;
      this.#stringLen = 0;
      this.#stringOffsets.clear();
      this.#stringOffsets.set('', -this.#stringBase);
    }
  }

  /** Offset of `s` in the string section (deduplicated). */
  string(s: string): number {
    let off = this.#stringOffsets.get(s);
    if (off === undefined) {
      if (s.includes('\0')) throw new InvalidArgumentError('name', 'must not contain NUL');
      const bytes = new TextEncoder().encode(`${s}\0`);
      off = this.#stringLen;
      this.#strings.push(bytes);
      this.#stringLen += bytes.length;
      this.#stringOffsets.set(s, off);
    }
    return this.#stringBase + off;
  }

  #ref(id: number, what: string): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.#nextId) {
      throw new InvalidArgumentError(what, `type ID ${id} does not exist yet (next is ${this.#nextId})`);
    }
    return id;
  }

  #type(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number, extra: number[]): number {
    if (vlen > 0xffff) throw new InvalidArgumentError('vlen', `${vlen} entries exceed the BTF limit of 65535`);
    this.#words.push(name === '' ? 0 : this.string(name), ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen, sizeOrType, ...extra);
    return this.#nextId++;
  }

  int(name: string, size: number, options: IntOptions = {}): number {
    if (![1, 2, 4, 8, 16].includes(size)) throw new InvalidArgumentError('size', `INT size ${size} is not 1, 2, 4, 8 or 16`);
    const bits = options.bits ?? size * 8;
    const enc = (options.signed ? 1 : 0) | (options.char ? 2 : 0) | (options.bool ? 4 : 0);
    return this.#type(name, Kind.Int, 0, false, size, [((enc << 24) | ((options.bitOffset ?? 0) << 16) | bits) >>> 0]);
  }

  ptr(type: number): number {
    return this.#type('', Kind.Ptr, 0, false, this.#ref(type, 'type'), []);
  }

  array(elemType: number, indexType: number, nelems: number): number {
    return this.#type('', Kind.Array, 0, false, 0, [this.#ref(elemType, 'elemType'), this.#ref(indexType, 'indexType'), u32(nelems, 'nelems')]);
  }

  #aggregate(kind: number, name: string, size: number, members: MemberSpec[]): number {
    const kflag = members.some((m) => (m.bitfieldSize ?? 0) !== 0);
    const extra: number[] = [];
    for (const m of members) {
      const bf = m.bitfieldSize ?? 0;
      if (kflag && (m.bitOffset > 0xffffff || bf > 0xff)) throw new InvalidArgumentError('members', `member ${m.name}: bitfield offset/size out of range`);
      extra.push(m.name === '' ? 0 : this.string(m.name), this.#ref(m.type, `member ${m.name}`), kflag ? ((bf << 24) | m.bitOffset) >>> 0 : u32(m.bitOffset, 'bitOffset'));
    }
    return this.#type(name, kind, members.length, kflag, u32(size, 'size'), extra);
  }

  struct(name: string, size: number, members: MemberSpec[]): number {
    return this.#aggregate(Kind.Struct, name, size, members);
  }

  union(name: string, size: number, members: MemberSpec[]): number {
    return this.#aggregate(Kind.Union, name, size, members);
  }

  enum(name: string, size: number, values: { name: string; value: number }[], signed = false): number {
    const extra = values.flatMap((v) => [this.string(v.name), v.value >>> 0]);
    return this.#type(name, Kind.Enum, values.length, signed, size, extra);
  }

  enum64(name: string, size: number, values: { name: string; value: bigint }[], signed = false): number {
    const extra = values.flatMap((v) => {
      const u = BigInt.asUintN(64, v.value);
      return [this.string(v.name), Number(u & 0xffffffffn), Number(u >> 32n)];
    });
    return this.#type(name, Kind.Enum64, values.length, signed, size, extra);
  }

  fwd(name: string, union = false): number {
    return this.#type(name, Kind.Fwd, 0, union, 0, []);
  }

  typedef(name: string, type: number): number {
    return this.#type(name, Kind.Typedef, 0, false, this.#ref(type, 'type'), []);
  }

  volatile(type: number): number {
    return this.#type('', Kind.Volatile, 0, false, this.#ref(type, 'type'), []);
  }

  const(type: number): number {
    return this.#type('', Kind.Const, 0, false, this.#ref(type, 'type'), []);
  }

  restrict(type: number): number {
    return this.#type('', Kind.Restrict, 0, false, this.#ref(type, 'type'), []);
  }

  funcProto(returnType: number, params: { name?: string; type: number }[], variadic = false): number {
    const extra = params.flatMap((p) => [p.name ? this.string(p.name) : 0, this.#ref(p.type, `param ${p.name ?? ''}`)]);
    if (variadic) extra.push(0, 0);
    return this.#type('', Kind.FuncProto, params.length + (variadic ? 1 : 0), false, this.#ref(returnType, 'returnType'), extra);
  }

  func(name: string, proto: number, linkage: Linkage = Linkage.Global): number {
    return this.#type(name, Kind.Func, linkage, false, this.#ref(proto, 'proto'), []);
  }

  var(name: string, type: number, linkage: number = Linkage.Global): number {
    return this.#type(name, Kind.Var, 0, false, this.#ref(type, 'type'), [linkage]);
  }

  datasec(name: string, size: number, vars: { type: number; offset: number; size: number }[]): number {
    const extra = vars.flatMap((v) => [this.#ref(v.type, 'var'), u32(v.offset, 'offset'), u32(v.size, 'size')]);
    return this.#type(name, Kind.Datasec, vars.length, false, size, extra);
  }

  float(name: string, size: number): number {
    return this.#type(name, Kind.Float, 0, false, size, []);
  }

  declTag(name: string, type: number, componentIdx = -1): number {
    return this.#type(name, Kind.DeclTag, 0, false, this.#ref(type, 'type'), [componentIdx >>> 0]);
  }

  typeTag(name: string, type: number): number {
    return this.#type(name, Kind.TypeTag, 0, false, this.#ref(type, 'type'), []);
  }

  /** The blob: header, type section, string section. */
  encode(): Uint8Array {
    const typeLen = this.#words.length * 4;
    const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + this.#stringLen);
    const view = new DataView(out.buffer);
    view.setUint16(0, BTF_MAGIC, true);
    view.setUint8(2, 1);
    view.setUint32(4, BTF_HEADER_SIZE, true);
    view.setUint32(8, 0, true);
    view.setUint32(12, typeLen, true);
    view.setUint32(16, typeLen, true);
    view.setUint32(20, this.#stringLen, true);
    this.#words.forEach((w, i) => view.setUint32(BTF_HEADER_SIZE + i * 4, w >>> 0, true));
    let off = BTF_HEADER_SIZE + typeLen;
    for (const s of this.#strings) {
      out.set(s, off);
      off += s.length;
    }
    return out;
  }
}

function stringSectionLength(spec: Spec): number {
  return new DataView(spec.data.buffer, spec.data.byteOffset).getUint32(20, true);
}
