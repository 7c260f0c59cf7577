import type { Spec } from '@bpfkit/btf';
import { BpfError, InvalidArgumentError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { sanitizeBTF } from './btf-fixup.js';
import { applyCoreRelocations, type PoisonedRelocation } from './core/apply.js';
import { POISON_HELPER } from './core/patch.js';
import { loadCollectionSpec, type CollectionSpec, type ProgramSpec } from './collection-spec.js';
import { Map } from './map.js';
import { withMemlock } from './memlock.js';
import { PinType, type MapSpec } from './map-spec.js';
import { Program } from './program.js';
import { kernelSyscalls } from './syscalls.js';
import { ProgramType } from './types.js';
import { VerifierError } from './verifier-error.js';
import { encodeScalar } from './variable-spec.js';

const PSEUDO_MAP_FD = 1;
const PSEUDO_MAP_VALUE = 2;

export interface CollectionOptions {
  /** A bpffs directory for maps declared with `__uint(pinning, LIBBPF_PIN_BY_NAME)`: reused if pinned, else created and pinned. */
  pinPath?: string;
  /** Load only these programs (by function name); the default is every program. */
  programs?: readonly string[];
  /** Verifier log level for every program (the log lands in `program.verifierLog`). */
  logLevel?: number;
  /** BTF to resolve CO-RE relocations against instead of the running kernel's (vmlinux + modules). */
  kernelTypes?: Spec;
}

/** A global variable of a loaded collection, read and written through its data map. */
export class Variable {
  readonly name: string;
  readonly map: Map;
  readonly offset: number;
  readonly size: number;

  /** @internal */
  constructor(name: string, map: Map, offset: number, size: number) {
    this.name = name;
    this.map = map;
    this.offset = offset;
    this.size = size;
  }

  /** The current bytes (BPF_MAP_LOOKUP_ELEM of the section's one value). */
  get(): Uint8Array {
    const value = this.map.lookup(0);
    if (!value) throw new InvalidArgumentError(`variable ${this.name}`, `its map ${this.map.name} has no value`);
    return value.slice(this.offset, this.offset + this.size);
  }

  /** The value as an unsigned little-endian integer (1, 2, 4 or 8 bytes). */
  getBigUint(): bigint {
    const bytes = this.get();
    let v = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    return v;
  }

  /** Write the variable (read-modify-write of the section's value; `.rodata` is frozen and refuses). */
  set(value: Uint8Array | number | bigint): void {
    const bytes = value instanceof Uint8Array ? value : encodeScalar(value, this.size, `variable ${this.name}`);
    if (bytes.byteLength !== this.size) throw new InvalidArgumentError(`variable ${this.name}`, `is ${this.size} bytes, got ${bytes.byteLength}`);
    const whole = this.map.lookup(0)!;
    whole.set(bytes, this.offset);
    this.map.update(0, whole);
  }
}

/** The spec each program of a collection was loaded from (its section says how to attach it). */
const specs = new WeakMap<Program, ProgramSpec>();

/** The ProgramSpec a program was loaded from by `loadCollection` (section name, attach type and target), if it was. */
export function programSpec(program: Program): ProgramSpec | undefined {
  return specs.get(program);
}

/** Programs and maps loaded from one object. Closing it closes every one of them. */
export class Collection {
  readonly programs: Record<string, Program>;
  readonly maps: Record<string, Map>;
  readonly variables: Record<string, Variable>;
  /** The spec it was loaded from (section names for attaching by section). */
  readonly spec: CollectionSpec;

  /** @internal */
  constructor(spec: CollectionSpec, programs: Record<string, Program>, maps: Record<string, Map>, variables: Record<string, Variable>) {
    this.spec = spec;
    this.programs = programs;
    this.maps = maps;
    this.variables = variables;
  }

  /** Close every program and map (pins stay); idempotent. */
  close(): void {
    for (const p of Object.values(this.programs)) p.close();
    for (const m of Object.values(this.maps)) m.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Load a BPF object into the kernel: create its maps (global data written and `.rodata`
 * frozen), resolve map references and CO-RE relocations, and load each program with its BTF
 * func and line info. On any error everything created so far is closed again.
 */
export function loadCollection(specOrPath: CollectionSpec | string | Uint8Array, options: CollectionOptions = {}): Collection {
  const spec = typeof specOrPath === 'string' || specOrPath instanceof Uint8Array ? loadCollectionSpec(specOrPath) : specOrPath;
  if (spec === null || typeof spec !== 'object' || typeof spec.programs !== 'object') {
    throw new InvalidArgumentError('spec', 'must be a CollectionSpec, a path or the bytes of a BPF object');
  }
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
  const wanted = options.programs ?? Object.keys(spec.programs);
  for (const name of wanted) if (!spec.programs[name]) throw new InvalidArgumentError('programs', `${spec.source} has no program ${name}`);

  const maps: Record<string, Map> = {};
  const programs: Record<string, Program> = {};
  let btfFd: sys.FD | undefined;
  try {
    const btf = kernelBTF(spec);
    btfFd = btf?.fd;
    for (const m of Object.values(spec.maps)) maps[m.name] = openMap(m, btfFd, options.pinPath, spec.source);
    for (const name of wanted) {
      const program = loadOne(spec, spec.programs[name]!, maps, btf?.data, options);
      programs[name] = program;
      specs.set(program, spec.programs[name]!);
    }
  } catch (err) {
    for (const p of Object.values(programs)) p.close();
    for (const m of Object.values(maps)) m.close();
    throw err;
  } finally {
    btfFd?.close();
  }
  const variables: Record<string, Variable> = {};
  for (const v of Object.values(spec.variables)) variables[v.name] = new Variable(v.name, maps[v.mapName]!, v.offset, v.size);
  return new Collection(spec, programs, maps, variables);
}

/** The object's BTF as the kernel takes it: as compiled, else sanitized for an older kernel, else none. */
function kernelBTF(spec: CollectionSpec): { fd: sys.FD; data: Uint8Array } | undefined {
  if (!spec.types) return undefined;
  const raw = spec.types.data;
  for (const data of [raw, sanitizeBTF(raw)]) {
    try {
      return { fd: kernelSyscalls.btfLoad({ btf: data }), data };
    } catch (err) {
      if (!(err instanceof SyscallError)) throw err;
    }
  }
  return undefined;
}

const describe = (m: { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number }): string =>
  `type ${m.type}, key ${m.keySize} B, value ${m.valueSize} B, ${m.maxEntries} entries, flags 0x${m.flags.toString(16)}`;

function openMap(m: MapSpec, btfFd: sys.FD | undefined, pinPath: string | undefined, source: string): Map {
  if (m.pinning === PinType.ByName) {
    if (typeof pinPath !== 'string' || pinPath === '') {
      throw new InvalidArgumentError('pinPath', `map ${m.name} of ${source} is pinned by name: pass pinPath (a bpffs directory)`);
    }
    const path = `${pinPath}/${m.name}`;
    let pinned: Map | undefined;
    try {
      pinned = Map.loadPinned(path);
    } catch (err) {
      if (!(err instanceof SyscallError && err.code === 'ENOENT')) throw err;
    }
    if (pinned) {
      if (pinned.type !== m.type || pinned.keySize !== m.keySize || pinned.valueSize !== m.valueSize || pinned.maxEntries !== m.maxEntries || pinned.flags !== m.flags) {
        pinned.close();
        throw new InvalidArgumentError('pinPath', `map ${m.name} pinned at ${path} (${describe(pinned)}) does not match the object's (${describe(m)})`);
      }
      return pinned;
    }
    const map = createMap(m, btfFd, source);
    try {
      map.pin(path);
    } catch (err) {
      map.close();
      throw err;
    }
    return map;
  }
  return createMap(m, btfFd, source);
}

function createMap(m: MapSpec, btfFd: sys.FD | undefined, source: string): Map {
  const inner = m.innerMap ? createMap(m.innerMap, btfFd, source) : undefined;
  const typed = btfFd !== undefined && m.btfKeyTypeId !== undefined && m.btfValueTypeId !== undefined;
  let fd: sys.FD;
  try {
    fd = withMemlock(() => sys.mapCreate({
      // Any type the object names (newer kernels add types); the kernel checks it.
      mapType: m.type as sys.MapType,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      mapFlags: m.flags,
      mapName: m.name.replace(/[^A-Za-z0-9_.]/g, '').slice(0, sys.OBJ_NAME_LEN - 1) || undefined,
      innerMapFd: inner?.fd,
      numaNode: m.numaNode,
      btfFd: typed ? btfFd.fd : undefined,
      btfKeyTypeId: typed ? m.btfKeyTypeId : undefined,
      btfValueTypeId: typed ? m.btfValueTypeId : undefined,
      mapExtra: m.mapExtra,
    }));
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext(`create map ${m.name} of ${source} (${describe(m)})`) : err;
  } finally {
    inner?.close();
  }
  const map = Map.wrap(fd, { ...m, name: m.name });
  try {
    if (m.contents) {
      map.update(0, m.contents);
      if (m.freeze) sys.mapFreeze(map.fd);
    }
  } catch (err) {
    map.close();
    throw err instanceof SyscallError ? err.withContext(`initialise ${m.name} of ${source}`) : err;
  }
  return map;
}

function loadOne(spec: CollectionSpec, p: ProgramSpec, maps: Record<string, Map>, btf: Uint8Array | undefined, options: CollectionOptions): Program {
  const insns = p.instructions.slice();
  const view = new DataView(insns.buffer);
  for (const ref of p.references) {
    const map = maps[ref.map];
    if (!map) throw new InvalidArgumentError('spec', `program ${p.name} refers to map ${ref.map}, which the spec does not define`);
    const at = ref.insn * 8;
    const regs = view.getUint8(at + 1) & 0x0f;
    view.setUint8(at + 1, ((ref.kind === 'map' ? PSEUDO_MAP_FD : PSEUDO_MAP_VALUE) << 4) | regs);
    view.setInt32(at + 4, map.fd, true);
    view.setInt32(at + 12, ref.kind === 'data' ? ref.offset : 0, true);
  }
  let poisoned: PoisonedRelocation[] = [];
  if (p.coreRelocations.length > 0) {
    if (!spec.types) throw new InvalidArgumentError('spec', `program ${p.name} has CO-RE relocations but the object has no BTF`);
    poisoned = applyCoreRelocations(insns, p, spec.types, options.kernelTypes);
  }
  const attachTo = p.attachTo && needsAttachTo(p.type) ? p.attachTo : undefined;
  try {
    return Program.load({
      type: p.type as never,
      instructions: insns,
      license: p.license,
      attachType: p.attachType as never,
      attachTo,
      flags: p.flags || undefined,
      name: p.name,
      logLevel: options.logLevel,
      ...(btf && p.funcInfo.length > 0 ? { btf: { data: btf, funcInfo: [...p.funcInfo], lineInfo: [...p.lineInfo] } } : {}),
    });
  } catch (err) {
    if (err instanceof VerifierError && poisoned.length > 0 && err.log.includes(String(POISON_HELPER))) {
      const fields = poisoned.map((r) => r.description).join(', ');
      throw new NotSupportedError(`CO-RE: program ${p.name} (section ${p.sectionName}) needs ${fields}`, {
        detail: 'the running kernel\'s BTF has no such type or field, and the code using it is not guarded by bpf_core_field_exists() or similar',
        cause: err,
      });
    }
    if (err instanceof BpfError) {
      let message = `program ${p.name} (section ${p.sectionName}): ${err.message}`;
      // The log quotes the C line of each instruction it walked (from line info): name the last one.
      const line = err instanceof VerifierError ? err.log.split('\n').filter((l) => l.startsWith('; ')).pop() : undefined;
      if (line && !err.message.includes(line)) message += `\nlast C line reached: ${line.slice(2)}`;
      Object.defineProperty(err, 'message', { value: message });
    }
    throw err;
  }
}

/** Program types loaded against a kernel BTF attach point named by the section. */
const needsAttachTo = (type: number): boolean => type === ProgramType.Tracing || type === ProgramType.LSM;
