import { findKernelType, Kind, type Spec } from '@bpfkit/btf';
import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';

/** A struct_ops callback's implementation: a loaded StructOps program (its fd). */
export interface StructOpsProgramRef {
  readonly fd: number;
}

export interface StructOpsValueOptions {
  /** The kernel struct implemented, e.g. `tcp_congestion_ops`. */
  structOps: string;
  /** Callback members and the StructOps programs (loaded with `attachTo: '<struct>:<member>'`) implementing them. */
  programs: Record<string, StructOpsProgramRef>;
  /** Data members: a string for a char array (NUL-padded), a number or bigint for an integer, or raw bytes. */
  fields?: Record<string, string | number | bigint | Uint8Array>;
}

/** Where the struct's members sit in the map value `struct bpf_struct_ops_<name>`, from kernel BTF. */
interface Layout {
  spec: Spec;
  valueSize: number;
  /** Byte offset of the `data` member (the struct itself) inside the value. */
  dataOffset: number;
  members: Map<string, { offset: number; size: number; type: number }>;
}

function layout(structOps: string): Layout {
  const valueName = `bpf_struct_ops_${structOps}`;
  let found;
  try {
    found = findKernelType(valueName, Kind.Struct);
  } catch (err) {
    if (err instanceof SymbolNotFoundError) throw new SymbolNotFoundError(structOps, { path: 'kernel BTF', detail: `no STRUCT ${valueName}: the kernel has no such struct_ops type`, cause: err });
    throw err;
  }
  const { spec, typeId } = found;
  const data = spec.members(typeId).find((m) => m.name === 'data');
  if (!data) throw new InvalidArgumentError('structOps', `STRUCT ${valueName} has no data member`);
  const members = new Map<string, { offset: number; size: number; type: number }>();
  for (const m of spec.members(data.type)) {
    if (m.bitfieldSize !== 0 || m.name === '') continue;
    members.set(m.name, { offset: data.bitOffset / 8 + m.bitOffset / 8, size: spec.size(m.type), type: m.type });
  }
  return { spec, valueSize: spec.size(typeId), dataOffset: data.bitOffset / 8, members };
}

function isCallback(spec: Spec, type: number): boolean {
  const t = spec.type(spec.resolve(type));
  return t.kind === Kind.Ptr && spec.type(spec.resolve(t.type)).kind === Kind.FuncProto;
}

/**
 * The value to store at key 0 of a StructOps map: `struct bpf_struct_ops_<structOps>` laid out
 * from kernel BTF, with each program's fd at its callback's offset and the given data members
 * filled in; the rest zero, as the kernel requires.
 */
export function structOpsValue(opts: StructOpsValueOptions): Uint8Array {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'struct_ops value: must be an object');
  if (typeof opts.structOps !== 'string' || opts.structOps === '') throw new InvalidArgumentError('structOps', 'struct_ops value: the kernel struct is required, e.g. "tcp_congestion_ops"');
  if (opts.programs === null || typeof opts.programs !== 'object') throw new InvalidArgumentError('programs', `struct_ops value for ${opts.structOps}: expected { member: program }`);
  const l = layout(opts.structOps);
  const value = new Uint8Array(l.valueSize);
  const view = new DataView(value.buffer);
  const member = (name: string, argument: string) => {
    const m = l.members.get(name);
    if (!m) throw new InvalidArgumentError(argument, `struct ${opts.structOps} has no member ${name}`);
    return m;
  };
  for (const [name, prog] of Object.entries(opts.programs)) {
    const m = member(name, 'programs');
    if (!isCallback(l.spec, m.type)) throw new InvalidArgumentError('programs', `${opts.structOps}.${name} is not a callback (a function pointer); give it in fields`);
    if (prog === null || typeof prog !== 'object' || !Number.isInteger(prog.fd) || prog.fd < 0) {
      throw new InvalidArgumentError('programs', `${opts.structOps}.${name}: expected an open Program`);
    }
    // The kernel reads the program fd from the pointer's slot.
    view.setBigUint64(m.offset, BigInt(prog.fd), true);
  }
  for (const [name, v] of Object.entries(opts.fields ?? {})) {
    const m = member(name, 'fields');
    if (isCallback(l.spec, m.type)) throw new InvalidArgumentError('fields', `${opts.structOps}.${name} is a callback; give its program in programs`);
    value.set(fieldBytes(v, m.size, `${opts.structOps}.${name}`), m.offset);
  }
  return value;
}

function fieldBytes(v: string | number | bigint | Uint8Array, size: number, what: string): Uint8Array {
  if (v instanceof Uint8Array) {
    if (v.byteLength > size) throw new InvalidArgumentError('fields', `${what}: ${v.byteLength} bytes do not fit in ${size}`);
    return v;
  }
  if (typeof v === 'string') {
    const bytes = new TextEncoder().encode(v);
    if (bytes.byteLength >= size || bytes.includes(0)) throw new InvalidArgumentError('fields', `${what}: "${v}" does not fit in char[${size}] with its NUL`);
    return bytes;
  }
  const n = BigInt(v);
  if (![1, 2, 4, 8].includes(size)) throw new InvalidArgumentError('fields', `${what} is ${size} bytes, not an integer`);
  if (n < -(1n << BigInt(size * 8 - 1)) || n >= 1n << BigInt(size * 8)) throw new InvalidArgumentError('fields', `${what}: ${v} does not fit in ${size} bytes`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return out.subarray(0, size);
}
