import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Errno, fromNodeError, InvalidArgumentError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import {
  asFileOffset,
  ElfFile,
  type FileOffset,
  type FileOffsetInput,
  mappedPath,
  resolveLibrary,
  SymbolBinding,
  SymbolType,
  type UsdtProbe,
} from '@bpfkit/elf';
import type { ProgramRef } from './program-ref.js';
import { attachUprobe, type UprobeLink, type UprobeOptions } from './uprobe.js';
import { attachUprobeMulti, type UprobeMultiOptions, type UprobeMultiResult } from './uprobe-multi.js';
import { attachUsdt, type UsdtOptions, type UsdtResult } from './usdt.js';

export interface OpenExecutableOptions {
  /**
   * Resolve `path` as this process sees it: through `/proc/<pid>/root` (its mount namespace, e.g. a
   * container) and, for a bare library name, through the libraries it maps (`/proc/<pid>/maps`).
   * It does not filter events by process: give `pid` to the attach for that.
   */
  pid?: number;
}

/** Where a file offset lies: in which symbol and how far into it (cilium's SymbolOffset). */
export interface SymbolOffset {
  symbol: string;
  offset: bigint;
}

/** A resolved probe location: the file offset, and the symbol it came from (for messages and tracefs names). */
export interface ProbeLocation {
  offset: FileOffset;
  symbol: string;
}

interface CachedSymbol {
  offset: FileOffset;
  size: bigint;
}

/** An ELF binary or shared library to attach uprobes to; symbols are read when first needed. */
export class Executable {
  /** The absolute path handed to the kernel. */
  readonly path: string;
  /** The file's size when opened: addresses past it are refused before any syscall. */
  readonly size: number;
  #elf: ElfFile | undefined;
  readonly #symbols = new Map<string, CachedSymbol>();

  /** @internal Use openExecutable. */
  constructor(path: string, size: number) {
    this.path = path;
    this.size = size;
  }

  /** Whether symbol tables have been read (and not dropped since). An attach by `address` never reads them. */
  get symbolsLoaded(): boolean {
    return this.#elf !== undefined;
  }

  /** Frees the symbol tables and the open file behind them; the next lookup reads them again. */
  dropSymbols(): void {
    this.#elf?.close();
    this.#elf = undefined;
    this.#symbols.clear();
  }

  #file(): ElfFile {
    this.#elf ??= ElfFile.open(this.path);
    return this.#elf;
  }

  /** A defined function's file offset and size; the typed errors of elf's `symbol()` otherwise. */
  #lookup(name: string): CachedSymbol {
    const hit = this.#symbols.get(name);
    if (hit) return hit;
    const sym = this.#file().symbol(name);
    return this.#remember(name, sym.type, sym.offset, sym.size);
  }

  #remember(name: string, type: number, offset: FileOffset | undefined, size: bigint): CachedSymbol {
    if (type === SymbolType.GnuIfunc) {
      throw new SymbolNotFoundError(name, { path: this.path, detail: 'it is an IFUNC: its code only picks the implementation at load time; probe the implementation it returns instead' });
    }
    if (type !== SymbolType.Func) throw new SymbolNotFoundError(name, { path: this.path, detail: `it is not a function (symbol type ${type})` });
    if (offset === undefined) throw new SymbolNotFoundError(name, { path: this.path, detail: 'no loadable segment maps its address' });
    const entry = { offset, size };
    this.#symbols.set(name, entry);
    return entry;
  }

  /**
   * The file offset to probe: `address + offset` without touching the symbol table when an
   * address is given, else the symbol's file offset plus `offset` (which must stay inside it).
   */
  location(symbol: string, address?: FileOffsetInput, offset?: number | bigint): ProbeLocation {
    const add = offset === undefined ? 0n : asFileOffset(offset);
    if (address !== undefined) {
      const at = asFileOffset(address) + add;
      if (at >= BigInt(this.size)) {
        throw new InvalidArgumentError('address', `file offset 0x${at.toString(16)} is past the end of ${this.path} (${this.size} bytes)`);
      }
      return { offset: at as FileOffset, symbol };
    }
    if (typeof symbol !== 'string' || symbol === '') throw new InvalidArgumentError('symbol', `probe in ${this.path}: a symbol or an address is required`);
    return { offset: this.#checked(symbol, this.#lookup(symbol), add), symbol };
  }

  #checked(symbol: string, s: CachedSymbol, add: bigint): FileOffset {
    // st_size 0 means "unknown": only the entry can be probed then.
    if (add !== 0n && add >= s.size) {
      throw new InvalidArgumentError('offset', `offset ${add} is out of range of symbol ${symbol} (${s.size} bytes) in ${this.path}`);
    }
    return (s.offset + add) as FileOffset;
  }

  /**
   * Many locations at once (uprobe_multi): every symbol not seen before is found in one walk of the
   * symbol tables. `addresses[i]`, where given and non-zero, replaces the lookup of `symbols[i]`.
   */
  // Names the walk does not find go through elf's lookup, which says why (imported, missing, versioned).
  locations(symbols: readonly string[], addresses?: readonly FileOffsetInput[], offsets?: readonly (number | bigint)[]): ProbeLocation[] {
    const n = symbols.length || (addresses?.length ?? 0);
    // 0 means "look the symbol up"; anything else is checked by location().
    const given = (i: number) => addresses?.[i] !== undefined && addresses[i] !== 0 && addresses[i] !== 0n;
    const wanted = symbols.filter((s, i) => !given(i) && !this.#symbols.has(s));
    if (wanted.length > 1) this.#walk(new Set(wanted));
    return Array.from({ length: n }, (_, i) => this.location(symbols[i] ?? '', given(i) ? addresses![i] : undefined, offsets?.[i]));
  }

  /** One pass over .symtab and .dynsym for `names`, ranked like elf's lookup (global over weak over local, functions first). */
  #walk(names: Set<string>): void {
    const elf = this.#file();
    const best = new Map<string, { score: number; type: number; value: bigint; size: bigint }>();
    elf.forEachSymbol((s) => {
      if (!s.defined) return;
      const name = s.name;
      if (!names.has(name)) return;
      const b = s.binding;
      const type = s.type;
      const score =
        (b === SymbolBinding.Global || b === SymbolBinding.GnuUnique ? 2 : b === SymbolBinding.Weak ? 1 : 0) * 4 +
        (type === SymbolType.Func || type === SymbolType.GnuIfunc ? 2 : 0) +
        (s.table === 'dynsym' ? 1 : 0);
      const seen = best.get(name);
      if (!seen || score > seen.score) best.set(name, { score, type, value: s.valueBig, size: s.sizeBig });
    });
    for (const [name, s] of best) {
      let offset: FileOffset | undefined;
      try {
        offset = elf.fileOffset(s.value);
      } catch {
        offset = undefined;
      }
      this.#remember(name, s.type, offset, s.size);
    }
  }

  /** The symbol a file offset (e.g. from a uprobe's info) falls in, and how far into it. */
  symbol(fileOffset: FileOffsetInput): SymbolOffset {
    const at = this.#file().symbolAtFileOffset(fileOffset);
    return { symbol: at.symbol.name, offset: at.offset };
  }

  /** The USDT probes in `.note.stapsdt`, each with its location, semaphore and argument specs. */
  usdtProbes(): UsdtProbe[] {
    using elf = ElfFile.open(this.path);
    return elf.usdtProbes();
  }

  /** A uprobe at the entry of `symbol` (or at `opts.address`). */
  uprobe(symbol: string, program: ProgramRef, opts?: UprobeOptions): UprobeLink {
    return attachUprobe(this, symbol, program, opts, false);
  }

  /** A uretprobe: runs when `symbol` returns. */
  uretprobe(symbol: string, program: ProgramRef, opts?: UprobeOptions): UprobeLink {
    return attachUprobe(this, symbol, program, opts, true);
  }

  /** One uprobe_multi link over many symbols or addresses of this file (kernel 6.6). */
  uprobeMulti(symbols: readonly string[], program: ProgramRef, opts?: UprobeMultiOptions): UprobeMultiResult {
    return attachUprobeMulti(this, symbols, program, opts, false);
  }

  uretprobeMulti(symbols: readonly string[], program: ProgramRef, opts?: UprobeMultiOptions): UprobeMultiResult {
    return attachUprobeMulti(this, symbols, program, opts, true);
  }

  /** Attaches at every location of the USDT probe `provider:name`, with its semaphore counted. */
  usdt(provider: string, name: string, program: ProgramRef, opts?: UsdtOptions): UsdtResult {
    return attachUsdt(this, provider, name, program, opts);
  }

  [Symbol.dispose](): void {
    this.dropSymbols();
  }

  toString(): string {
    return `Executable(${this.path})`;
  }
}

function checkPid(pid: unknown, what: string): number {
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) throw new InvalidArgumentError('pid', `${what}: ${String(pid)} is not a process ID`);
  if (!existsSync(`/proc/${pid}`)) throw new SyscallError('open', Errno.ESRCH, { context: `${what}: read /proc/${pid}`, hint: 'no such process' });
  return pid;
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/** The path the kernel should get for `path`, as seen by `pid` when given. */
function resolvePath(path: string, pid: number | undefined, what: string): string {
  if (!path.includes('/')) {
    if (pid === undefined) return resolveLibrary(path);
    try {
      return mappedPath(pid, path);
    } catch (err) {
      if (!(err instanceof SyscallError) || err.code !== 'ENOENT') throw err;
      return resolveLibrary(path, { root: `/proc/${pid}/root` });
    }
  }
  if (pid === undefined) return resolve(path);
  if (!path.startsWith('/')) throw new InvalidArgumentError('path', `${what}: with a pid, the path must be absolute (it is resolved inside that process's root)`);
  const inRoot = `/proc/${pid}/root${path}`;
  return sameFile(path, inRoot) ? path : inRoot;
}

/**
 * Opens an executable or shared library for uprobes. `path` is a path, or a bare library name
 * (`libc.so.6`) found the way the dynamic loader would (ld.so.cache). Only the ELF header is
 * read here; symbols are read by the first attach that needs them.
 */
export function openExecutable(path: string, opts: OpenExecutableOptions = {}): Executable {
  const what = `open executable ${String(path)}`;
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', 'path cannot be empty');
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', `${what}: must be an object`);
  const pid = opts.pid === undefined ? undefined : checkPid(opts.pid, what);
  const resolved = resolvePath(path, pid, what);
  let size: number;
  try {
    const st = statSync(resolved);
    if (st.isDirectory()) throw new SyscallError('open', Errno.EISDIR, { context: `${what}: ${resolved} is a directory` });
    size = st.size;
  } catch (err) {
    throw fromNodeError(err, 'stat', { context: what });
  }
  using elf = ElfFile.open(resolved);
  if (!elf.isExecutable) {
    throw new InvalidArgumentError('path', `${resolved} is not an executable or a shared object (ELF type ${elf.type})`);
  }
  return new Executable(resolved, size);
}
