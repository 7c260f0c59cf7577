import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import { extraSize, Kind, kindName, kindNumber, MAX_KIND, type KindLike } from './kind.js';
import type { BtfType, FuncSignature, Member, Param } from './types.js';

export const BTF_MAGIC = 0xeb9f;
export const BTF_HEADER_SIZE = 24;
/** libbpf's MAX_RESOLVE_DEPTH: longest modifier/typedef chain followed before calling it a cycle. */
const MAX_RESOLVE_DEPTH = 32;
/** The kernel's BTF_MAX_TYPE: type IDs are 31-bit at most. */
const MAX_TYPE_ID = 0x7fffffff;

export interface ParseOptions {
  /** The base BTF this blob is split on (kernel modules are split on vmlinux). */
  base?: Spec;
  /** A label for messages, e.g. `vmlinux` or a module name. */
  name?: string;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

function bad(what: string, detail: string): InvalidArgumentError {
  const w = what.trim();
  return new InvalidArgumentError('BTF', w ? `${w}: ${detail}` : detail);
}

const encoder = new TextEncoder();

/**
 * Words of kind-specific data after `struct btf_type`, a fixed part and a part per vlen entry,
 * for each of the 32 values the kind field can hold. Unknown kinds get a fixed part longer than
 * any type section (at most 2^30 words), so the walk's one bounds check also catches them.
 */
const BAD_KIND_WORDS = 0x40000000;
const FIXED_WORDS = Int32Array.from({ length: 32 }, (_, k) => (k === 0 || k > MAX_KIND ? BAD_KIND_WORDS : extraSize(k, 0) / 4));
const VLEN_WORDS = Int32Array.from({ length: 32 }, (_, k) => (k === 0 || k > MAX_KIND ? 0 : (extraSize(k, 1) - extraSize(k, 0)) / 4));

/**
 * Bytes of identifiers from the most to the least frequent in vmlinux's string section.
 * Node's Buffer#indexOf runs a memchr on the first byte of needles shorter than 7 bytes and a
 * Boyer-Moore-Horspool at ~3 GB/s on longer ones; searching for a 6-byte window of the name that
 * starts with its rarest byte and checking the rest in JS is 2-4x faster on vmlinux.
 */
const BY_FREQUENCY = '_etrasiconpldfmubgETkvhxARSyIOPNwCLDFMqUBGH4V62XKYzW3j10Q8Z5J97';
const SEARCH_WINDOW = 6;
/** How common each byte is: 0 for bytes that are not in BY_FREQUENCY, higher for more frequent. */
const COMMONNESS = new Uint8Array(256);
for (let i = 0; i < BY_FREQUENCY.length; i++) COMMONNESS[BY_FREQUENCY.charCodeAt(i)] = BY_FREQUENCY.length - i;
/** Windows starting at one of the 8 most frequent bytes lose to Boyer-Moore-Horspool on the whole name. */
const MAX_WINDOW_COMMONNESS = BY_FREQUENCY.length - 8;
/** Most string offsets the first lookup searches the type section for before building the index. */
const MAX_SCAN_CANDIDATES = 16;

/**
 * Start of the SEARCH_WINDOW bytes of `pattern` (a name plus its NUL) to search for, or -1 to
 * search for the whole pattern: it is short, or all its bytes are very common.
 */
function searchWindow(pattern: Uint8Array): number {
  if (pattern.length <= SEARCH_WINDOW) return -1;
  let best = 0;
  for (let i = 1; i <= pattern.length - SEARCH_WINDOW; i++) if (COMMONNESS[pattern[i]!]! < COMMONNESS[pattern[best]!]!) best = i;
  return COMMONNESS[pattern[best]!]! > MAX_WINDOW_COMMONNESS ? -1 : best;
}

/** Index of the type starting at `word` (binary search of the sorted offsets), or -1. */
function typeIndexAt(offsets: Uint32Array, word: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const w = offsets[mid]!;
    if (w === word) return mid;
    if (w < word) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * A parsed BTF blob. Parsing validates the header only; the type section is walked once, on
 * the first call that needs it, and the name index is built once, on the first lookup by name.
 * Every type ID handed in or found in the blob is range-checked, every string offset is bounded,
 * modifier chains are cut at 32 hops, so hostile input ends in an InvalidArgumentError that
 * names the offending offset.
 */
export class Spec {
  /** The raw blob, as given. */
  readonly data: Uint8Array;
  readonly name: string;
  readonly base: Spec | undefined;
  /** The first type ID defined by this blob (1, or the base's type count for split BTF). */
  readonly firstTypeId: number;
  /** Added to string offsets of this blob: the base's string-section length for split BTF. */
  readonly stringBase: number;

  readonly #typeStart: number;
  readonly #typeLen: number;
  readonly #strStart: number;
  readonly #strLen: number;
  readonly #bytes: Buffer;
  #words: Uint32Array | undefined;
  #offsets: Uint32Array | undefined;
  #count = -1;
  #head: Int32Array | undefined;
  #next: Int32Array | undefined;
  #hashes: Uint32Array | undefined;
  #lookups = 0;

  private constructor(data: Uint8Array, options: ParseOptions) {
    this.data = data;
    this.name = options.name ?? '';
    this.base = options.base;
    this.#bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (data.byteLength < BTF_HEADER_SIZE) {
      throw bad(`${this.name} header at offset 0x0`, `blob of ${data.byteLength} bytes is shorter than the ${BTF_HEADER_SIZE}-byte header`);
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const magic = view.getUint16(0, true);
    if (magic !== BTF_MAGIC) {
      const hint = magic === 0x9feb ? ' (big-endian BTF is not supported)' : '';
      throw bad(`${this.name} header at offset 0x0`, `bad magic ${hex(magic)}, want ${hex(BTF_MAGIC)}${hint}`);
    }
    const version = view.getUint8(2);
    if (version !== 1) throw bad(`${this.name} header at offset 0x2`, `unsupported version ${version}`);
    const hdrLen = view.getUint32(4, true);
    if (hdrLen < BTF_HEADER_SIZE || hdrLen > data.byteLength) {
      throw bad(`${this.name} header at offset 0x4`, `hdr_len ${hdrLen} outside [${BTF_HEADER_SIZE}, ${data.byteLength}]`);
    }
    const typeOff = view.getUint32(8, true);
    const typeLen = view.getUint32(12, true);
    const strOff = view.getUint32(16, true);
    const strLen = view.getUint32(20, true);
    const avail = data.byteLength - hdrLen;
    if (typeOff % 4 !== 0 || typeLen % 4 !== 0) {
      throw bad(`${this.name} header at offset 0x8`, `type section ${hex(typeOff)}+${hex(typeLen)} is not 4-byte aligned`);
    }
    if (typeOff > avail || typeLen > avail - typeOff) {
      throw bad(`${this.name} header at offset 0x8`, `type section ${hex(typeOff)}+${hex(typeLen)} runs past the blob end ${hex(avail)}`);
    }
    if (strOff > avail || strLen > avail - strOff) {
      throw bad(`${this.name} header at offset 0x10`, `string section ${hex(strOff)}+${hex(strLen)} runs past the blob end ${hex(avail)}`);
    }
    if (typeOff < strOff + strLen && strOff < typeOff + typeLen) {
      throw bad(`${this.name} header at offset 0x8`, 'type and string sections overlap');
    }
    this.#typeStart = hdrLen + typeOff;
    this.#typeLen = typeLen;
    this.#strStart = hdrLen + strOff;
    this.#strLen = strLen;
    if (strLen > 0 && data[this.#strStart + strLen - 1] !== 0) {
      throw bad(`${this.name} string section at offset ${hex(this.#strStart + strLen - 1)}`, 'the last string is not NUL-terminated');
    }
    if (this.base) {
      this.firstTypeId = this.base.typeEnd;
      this.stringBase = this.base.stringBase + this.base.#strLen;
    } else {
      if (strLen === 0 || data[this.#strStart] !== 0) {
        throw bad(`${this.name} string section at offset ${hex(this.#strStart)}`, 'must start with the empty string');
      }
      this.firstTypeId = 1;
      this.stringBase = 0;
    }
  }

  /** Parse a BTF blob (no copy is made: keep `data` unchanged while the Spec is in use). */
  static parse(data: Uint8Array, options: ParseOptions = {}): Spec {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('data', 'BTF must be a Uint8Array');
    return new Spec(data, options);
  }

  /** Number of types this blob defines (excluding void and the base's types). */
  get typeCount(): number {
    this.#walk();
    return this.#count;
  }

  /** One past the highest type ID defined here (the next ID a split blob on top would use). */
  get typeEnd(): number {
    return this.firstTypeId + this.typeCount;
  }

  #walk(): void {
    if (this.#count >= 0) return;
    let words: Uint32Array;
    const abs = this.data.byteOffset + this.#typeStart;
    if (abs % 4 === 0) {
      words = new Uint32Array(this.data.buffer, abs, this.#typeLen / 4);
    } else {
      words = new Uint32Array(this.#typeLen / 4);
      new Uint8Array(words.buffer).set(this.data.subarray(this.#typeStart, this.#typeStart + this.#typeLen));
    }
    const end = words.length;
    // Every type takes at least 3 words, which bounds the offset table by the input size.
    const offsets = new Uint32Array(Math.floor(end / 3) + 1);
    let w = 0;
    let n = 0;
    // As few operations per type as possible: in a fresh process this loop starts interpreted.
    while (w + 3 <= end) {
      const info = words[w + 1]!;
      const kind = (info >>> 24) & 0x1f;
      const next = w + 3 + FIXED_WORDS[kind]! + VLEN_WORDS[kind]! * (info & 0xffff);
      if (next > end) {
        const detail = FIXED_WORDS[kind] === BAD_KIND_WORDS ? `unknown kind ${kind}` : `${kindName(kind)} data runs past the type section`;
        throw this.#typeError(this.firstTypeId + n, w, detail);
      }
      offsets[n++] = w;
      w = next;
    }
    if (w < end) throw this.#typeError(this.firstTypeId + n, w, 'truncated type header');
    if (this.firstTypeId + n - 1 > MAX_TYPE_ID) throw bad(this.name, `too many types (${n})`);
    this.#words = words;
    this.#offsets = offsets.subarray(0, n);
    this.#count = n;
  }

  /** `<name> type [id] at offset 0x..`: where a type sits in its blob, for messages. */
  #where(id: number): string {
    const { spec, index } = this.#locate(id);
    if (index < 0) return `${spec.name} type [0]`;
    return `${spec.name} type [${id}] at offset ${hex(spec.#typeStart + spec.#offsets![index]! * 4)}`;
  }

  #typeError(id: number, word: number, detail: string): InvalidArgumentError {
    return bad(`${this.name} type [${id}] at offset ${hex(this.#typeStart + word * 4)}`, detail);
  }

  /** Where the string at `offset` starts: which blob's bytes, and the position in them. */
  #stringAt(offset: number): { bytes: Buffer; pos: number } | undefined {
    if (this.base && offset < this.stringBase) return this.base.#stringAt(offset);
    const local = offset - this.stringBase;
    if (local < 0 || local >= this.#strLen) return undefined;
    return { bytes: this.#bytes, pos: this.#strStart + local };
  }

  /**
   * Hash every named type by its name's bytes (FNV-1a) into a chained table: built once, on
   * the second lookup, after which lookups cost a hash and a byte compare. Names with an
   * out-of-range offset are left out; decoding that type reports them.
   */
  #buildIndex(): void {
    const words = this.#words!;
    const offsets = this.#offsets!;
    const n = this.#count;
    let size = 1024;
    while (size < n) size *= 2;
    const mask = size - 1;
    const head = new Int32Array(size).fill(-1);
    const next = new Int32Array(n);
    const hashes = new Uint32Array(n);
    const own = this.#bytes;
    const ownStart = this.#strStart - this.stringBase;
    const ownEnd = this.stringBase + this.#strLen;
    for (let i = 0; i < n; i++) {
      const nameOff = words[offsets[i]!]!;
      if (nameOff === 0) continue;
      let bytes = own;
      let p = ownStart + nameOff;
      if (nameOff < this.stringBase || nameOff >= ownEnd) {
        const at = this.#stringAt(nameOff);
        if (!at) continue;
        ({ bytes, pos: p } = at);
      }
      let h = 0x811c9dc5;
      for (let c = bytes[p++]!; c !== 0; c = bytes[p++]!) h = Math.imul(h ^ c, 0x01000193);
      h >>>= 0;
      hashes[i] = h;
      next[i] = head[h & mask]!;
      head[h & mask] = i;
    }
    this.#head = head;
    this.#next = next;
    this.#hashes = hashes;
  }

  /** Candidate string offsets (of this blob's string space) whose string equals `pattern` minus its NUL. */
  #stringOffsets(pattern: Uint8Array, out: number[]): void {
    const strings = this.#bytes.subarray(this.#strStart, this.#strStart + this.#strLen);
    const at = searchWindow(pattern);
    if (at < 0) {
      for (let p = strings.indexOf(pattern); p >= 0; p = strings.indexOf(pattern, p + 1)) out.push(this.stringBase + p);
      return;
    }
    const end = at + SEARCH_WINDOW;
    const window = pattern.subarray(at, end);
    next: for (let p = strings.indexOf(window, at); p >= 0; p = strings.indexOf(window, p + 1)) {
      const s = p - at;
      if (s + pattern.length > strings.length) break;
      for (let j = 0; j < at; j++) if (strings[s + j] !== pattern[j]) continue next;
      for (let j = end; j < pattern.length; j++) if (strings[s + j] !== pattern[j]) continue next;
      out.push(this.stringBase + s);
    }
  }

  #nameEquals(nameOff: number, name: Uint8Array): boolean {
    const at = this.#stringAt(nameOff);
    if (!at) return false;
    const { bytes, pos } = at;
    for (let j = 0; j < name.length; j++) if (bytes[pos + j] !== name[j]) return false;
    return bytes[pos + name.length] === 0;
  }

  /** This blob's own types named `pattern` (the name plus its NUL), appended to `out`. */
  #collectOwn(pattern: Uint8Array, out: number[]): void {
    this.#walk();
    const words = this.#words!;
    const offsets = this.#offsets!;
    const first = this.firstTypeId;
    if (!this.#head && this.#lookups++ === 0) {
      // The first lookup scans: find the name's offsets in the string sections (native search),
      // then the types that use them. Cheaper than building the index when only one name is wanted.
      const nameOffs: number[] = [];
      for (let s: Spec | undefined = this; s; s = s.base) s.#stringOffsets(pattern, nameOffs);
      // Popular names also end longer ones ("task_struct" ends five others in vmlinux); each
      // candidate costs a native search of the type section (~0.1 ms on vmlinux), the index ~3 ms.
      if (nameOffs.length <= MAX_SCAN_CANDIDATES) {
        // Native search for the name_off word too: no JS loop over every type, which matters
        // in a fresh process where such a loop would still run in the interpreter.
        const types = this.#bytes.subarray(this.#typeStart, this.#typeStart + this.#typeLen);
        const word = Buffer.alloc(4);
        for (const nameOff of nameOffs) {
          word.writeUInt32LE(nameOff);
          for (let p = types.indexOf(word); p >= 0; p = types.indexOf(word, p + 1)) {
            const i = p % 4 === 0 ? typeIndexAt(offsets, p / 4) : -1;
            if (i >= 0) out.push(first + i);
          }
        }
        return;
      }
    }
    if (!this.#head) this.#buildIndex();
    const name = pattern.subarray(0, pattern.length - 1);
    let h = 0x811c9dc5;
    for (const c of name) h = Math.imul(h ^ c, 0x01000193);
    h >>>= 0;
    const head = this.#head!;
    const next = this.#next!;
    const hashes = this.#hashes!;
    for (let i = head[h & (head.length - 1)]!; i >= 0; i = next[i]!) {
      if (hashes[i] === h && this.#nameEquals(words[offsets[i]!]!, name)) out.push(first + i);
    }
  }

  /**
   * All type IDs named `name` (of `kind`, if given), in ascending order; for split BTF the
   * base's matches come first.
   */
  findTypeIds(name: string, kind?: KindLike): number[] {
    if (typeof name !== 'string' || name === '' || name.includes('\0')) throw new InvalidArgumentError('name', 'must be a non-empty string without NUL');
    let k: number | undefined;
    if (kind !== undefined) {
      k = kindNumber(kind);
      if (k === undefined) throw new InvalidArgumentError('kind', `unknown BTF kind ${String(kind)}`);
    }
    const all: number[] = [];
    this.#collect(encoder.encode(`${name}\0`), all);
    all.sort((a, b) => a - b);
    return k === undefined ? all : all.filter((id) => this.kind(id) === k);
  }

  #collect(pattern: Uint8Array, out: number[]): void {
    if (this.base) this.base.#collect(pattern, out);
    this.#collectOwn(pattern, out);
  }

  /** The first type ID named `name` of `kind`; throws SymbolNotFoundError when there is none. */
  typeId(name: string, kind: KindLike): number {
    const ids = this.findTypeIds(name, kind);
    if (ids.length === 0) {
      const where = this.name ? { path: `BTF ${this.name}` } : {};
      throw new SymbolNotFoundError(name, { ...where, detail: `no ${kindName(kindNumber(kind)!)} of that name in BTF` });
    }
    return ids[0]!;
  }

  /** The string at `offset` in this blob's (or its base's) string space. */
  string(offset: number): string {
    if (this.base && offset < this.stringBase) return this.base.string(offset);
    const local = offset - this.stringBase;
    if (!Number.isInteger(local) || local < 0 || local >= this.#strLen) {
      throw bad(this.name, `string offset ${hex(offset)} is outside the string section`);
    }
    const start = this.#strStart + local;
    return this.#bytes.toString('utf8', start, this.#bytes.indexOf(0, start));
  }

  #locate(id: number): { spec: Spec; index: number } {
    if (!Number.isInteger(id) || id < 0) throw new InvalidArgumentError('type ID', `${id} is not a non-negative integer`);
    if (id < this.firstTypeId) {
      if (this.base) return this.base.#locate(id);
      return { spec: this, index: -1 };
    }
    const index = id - this.firstTypeId;
    if (index >= this.typeCount) throw bad(this.name, `type ID ${id} out of range (last is ${this.typeEnd - 1})`);
    return { spec: this, index };
  }

  /** The kind of type `id`. */
  kind(id: number): Kind {
    const { spec, index } = this.#locate(id);
    if (index < 0) return Kind.Void;
    return ((spec.#words![spec.#offsets![index]! + 1]! >>> 24) & 0x1f) as Kind;
  }

  /**
   * Byte offset in `data` of type `id`'s `struct btf_type` (a type of this blob, not its base):
   * lets a loader patch an object's BTF in place (DATASEC sizes, kinds an old kernel lacks).
   */
  typeOffset(id: number): number {
    const { spec, index } = this.#locate(id);
    if (spec !== this || index < 0) throw new InvalidArgumentError('type ID', `${id} is not a type of ${this.name || 'this blob'}`);
    return this.#typeStart + this.#offsets![index]! * 4;
  }

  /** Decode type `id` (0 is void). */
  type(id: number): BtfType {
    const { spec, index } = this.#locate(id);
    if (index < 0) return { id: 0, kind: Kind.Void, name: '' };
    return spec.#decode(id, index);
  }

  #name(nameOff: number, id: number, w: number): string {
    try {
      return this.string(nameOff);
    } catch (err) {
      throw this.#typeError(id, w, (err as Error).message.replace(/^invalid BTF: /, ''));
    }
  }

  #ref(typeId: number, id: number, w: number): number {
    if (typeId >= this.typeEnd) throw this.#typeError(id, w, `refers to type ID ${typeId} beyond the last (${this.typeEnd - 1})`);
    return typeId;
  }

  #decode(id: number, index: number): BtfType {
    const words = this.#words!;
    const w = this.#offsets![index]!;
    const name = this.#name(words[w]!, id, w);
    const info = words[w + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const sizeOrType = words[w + 2]!;
    const x = w + 3;
    switch (kind) {
      case Kind.Int: {
        const enc = words[x]!;
        return {
          id, kind, name, size: sizeOrType,
          signed: (enc & 0x01000000) !== 0, char: (enc & 0x02000000) !== 0, bool: (enc & 0x04000000) !== 0,
          bitOffset: (enc >>> 16) & 0xff, bits: enc & 0xff,
        };
      }
      case Kind.Ptr:
      case Kind.Typedef:
      case Kind.Volatile:
      case Kind.Const:
      case Kind.Restrict:
      case Kind.TypeTag:
        return { id, kind, name, type: this.#ref(sizeOrType, id, w) } as BtfType;
      case Kind.Array:
        return { id, kind, name, elemType: this.#ref(words[x]!, id, w), indexType: this.#ref(words[x + 1]!, id, w), nelems: words[x + 2]! };
      case Kind.Struct:
      case Kind.Union: {
        const members: Member[] = [];
        for (let i = 0; i < vlen; i++) {
          const m = x + i * 3;
          const off = words[m + 2]!;
          members.push({
            name: this.#name(words[m]!, id, w),
            type: this.#ref(words[m + 1]!, id, w),
            bitOffset: kflag ? off & 0xffffff : off,
            bitfieldSize: kflag ? off >>> 24 : 0,
          });
        }
        return { id, kind, name, size: sizeOrType, members } as BtfType;
      }
      case Kind.Enum: {
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const raw = words[x + i * 2 + 1]!;
          values.push({ name: this.#name(words[x + i * 2]!, id, w), value: kflag ? raw | 0 : raw });
        }
        return { id, kind, name, size: sizeOrType, signed: kflag, values };
      }
      case Kind.Enum64: {
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const m = x + i * 3;
          const u = (BigInt(words[m + 2]!) << 32n) | BigInt(words[m + 1]!);
          values.push({ name: this.#name(words[m]!, id, w), value: kflag ? BigInt.asIntN(64, u) : u });
        }
        return { id, kind, name, size: sizeOrType, signed: kflag, values };
      }
      case Kind.Fwd:
        return { id, kind, name, union: kflag };
      case Kind.Func:
        return { id, kind, name, type: this.#ref(sizeOrType, id, w), linkage: vlen };
      case Kind.FuncProto: {
        const params: Param[] = [];
        for (let i = 0; i < vlen; i++) {
          params.push({ name: this.#name(words[x + i * 2]!, id, w), type: this.#ref(words[x + i * 2 + 1]!, id, w) });
        }
        const last = params[params.length - 1];
        const variadic = last !== undefined && last.type === 0 && last.name === '';
        if (variadic) params.pop();
        return { id, kind, name, returnType: this.#ref(sizeOrType, id, w), params, variadic };
      }
      case Kind.Var:
        return { id, kind, name, type: this.#ref(sizeOrType, id, w), linkage: words[x]! };
      case Kind.Datasec: {
        const vars = [];
        for (let i = 0; i < vlen; i++) {
          const m = x + i * 3;
          vars.push({ type: this.#ref(words[m]!, id, w), offset: words[m + 1]!, size: words[m + 2]! });
        }
        return { id, kind, name, size: sizeOrType, vars };
      }
      case Kind.Float:
        return { id, kind, name, size: sizeOrType };
      case Kind.DeclTag:
        return { id, kind, name, type: this.#ref(sizeOrType, id, w), componentIdx: words[x]! | 0 };
      default:
        throw this.#typeError(id, w, `unknown kind ${kind}`);
    }
  }

  /** Follow typedefs and const/volatile/restrict/type-tag modifiers to the underlying type ID. */
  resolve(id: number): number {
    let cur = id;
    for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(cur);
      switch (t.kind) {
        case Kind.Typedef:
        case Kind.Volatile:
        case Kind.Const:
        case Kind.Restrict:
        case Kind.TypeTag:
          cur = t.type;
          break;
        default:
          return cur;
      }
    }
    throw bad(this.#where(id), `modifier chain longer than ${MAX_RESOLVE_DEPTH} (cyclic?)`);
  }

  /** Size in bytes of type `id` (pointers are 8 bytes). */
  size(id: number): number {
    let mult = 1;
    let cur = id;
    for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(this.resolve(cur));
      switch (t.kind) {
        case Kind.Int:
        case Kind.Struct:
        case Kind.Union:
        case Kind.Enum:
        case Kind.Enum64:
        case Kind.Datasec:
        case Kind.Float:
          return mult * t.size;
        case Kind.Ptr:
          return mult * 8;
        case Kind.Array:
          mult *= t.nelems;
          if (mult > 0xffffffff) throw bad(this.#where(id), 'array size overflows');
          cur = t.elemType;
          break;
        default:
          throw bad(this.#where(t.id), `a ${kindName(t.kind)} has no size`);
      }
    }
    throw bad(this.#where(id), `array chain longer than ${MAX_RESOLVE_DEPTH} (cyclic?)`);
  }

  /** A FUNC (by ID or name) with its FUNC_PROTO's return type and parameters. */
  funcSignature(func: number | string): FuncSignature {
    const id = typeof func === 'string' ? this.typeId(func, Kind.Func) : func;
    const f = this.type(id);
    if (f.kind !== Kind.Func) throw new InvalidArgumentError('func', `type [${id}] is a ${kindName(f.kind)}, not a FUNC`);
    const proto = this.type(f.type);
    if (proto.kind !== Kind.FuncProto) {
      throw bad(this.#where(id), `FUNC ${f.name} points at type [${f.type}], a ${kindName(proto.kind)} instead of a FUNC_PROTO`);
    }
    return { id, name: f.name, protoId: f.type, linkage: f.linkage, returnType: proto.returnType, params: proto.params, variadic: proto.variadic };
  }

  /** Members of a STRUCT or UNION (by ID or name; typedefs and modifiers are followed). */
  members(type: number | string): Member[] {
    const id = typeof type === 'string' ? this.typeId(type, Kind.Struct) : type;
    const t = this.type(this.resolve(id));
    if (t.kind !== Kind.Struct && t.kind !== Kind.Union) {
      throw new InvalidArgumentError('type', `type [${id}] is a ${kindName(t.kind)}, not a STRUCT or UNION`);
    }
    return t.members;
  }
}
