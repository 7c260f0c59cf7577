import { readFileSync } from 'node:fs';
import { ProgramType } from '@bpfkit/ebpf';
import { Errno, fromNodeError, InvalidArgumentError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { tracefsPath } from '@bpfkit/tracefs';
import { checkName, u64Option } from './arguments.js';
import { createLink, RawLink, type RawLinkInit } from './link.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';

/** A Kprobe program attached to many kernel functions through one kprobe_multi link. */
export class KprobeMultiLink extends RawLink {
  /** Symbols left out because ftrace cannot hook them (only with `skipUnattachable`). */
  readonly skipped: readonly string[];

  /** @internal */
  constructor(fd: sys.FD, init: RawLinkInit = {}, skipped: readonly string[] = []) {
    super(fd, init);
    this.skipped = Object.freeze([...skipped]);
  }

  protected override get label(): string {
    return 'kprobe_multi link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}

/** Some symbols of a kprobeMulti cannot be attached: `symbols` lists exactly which. */
export class UnattachableSymbolsError extends SymbolNotFoundError {
  readonly symbols: readonly string[];

  constructor(symbols: readonly string[], detail: string, cause?: unknown) {
    super(symbols.join(', '), { path: 'available_filter_functions', detail, cause });
    this.name = 'UnattachableSymbolsError';
    this.symbols = Object.freeze([...symbols]);
  }
}

export interface KprobeMultiOptions {
  /** Kernel function names, passed verbatim (no syscall-prefix retry: see syscallWrapper()). */
  symbols?: readonly string[];
  /** Kernel addresses instead of symbols. */
  addresses?: readonly (number | bigint)[];
  /** One cookie per symbol or address, read back with bpf_get_attach_cookie. */
  cookies?: readonly (number | bigint)[];
  /** A kprobe session (6.10): the program runs at entry and, if it returned 0 there, at return too. */
  session?: boolean;
  /** Attach the symbols ftrace can hook and list the others in `link.skipped`, instead of throwing. */
  skipUnattachable?: boolean;
}

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** The functions ftrace (and so fprobe) can hook; undefined where the kernel does not list them. */
function attachableFunctions(): Set<string> | undefined {
  let root: string;
  try {
    root = tracefsPath();
  } catch {
    return undefined;
  }
  const path = `${root}/available_filter_functions`;
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    // No list (no function tracer), or one this process may not read (lockdown): the kernel decides.
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EPERM' || code === 'EACCES') return undefined;
    throw fromNodeError(err, `read(${path})`, { context: 'listing the functions kprobe_multi can attach to' });
  }
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const end = line.search(/[\s[]/);
    const name = end < 0 ? line : line.slice(0, end);
    if (name) names.add(name);
  }
  return names;
}

function unattachableError(missing: string[], total: number, what: string, refusal?: SyscallError): UnattachableSymbolsError {
  return new UnattachableSymbolsError(missing, `${what}: ${missing.length} of ${total} symbols are not functions ftrace can hook (not in the kernel, inlined, or notrace)`, refusal);
}

function attachMulti(program: ProgramRef, opts: KprobeMultiOptions, ret: boolean): KprobeMultiLink {
  const kind = ret ? 'kretprobe_multi' : opts?.session ? 'kprobe_session' : 'kprobe_multi';
  const what = `attach ${kind}`;
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', `${what}: options must be an object`);
  if (ret && opts.session) throw new InvalidArgumentError('session', `${what}: a session covers entry and return; use kprobeMulti`);
  const symbols = opts.symbols ?? [];
  const addresses = opts.addresses ?? [];
  if (!Array.isArray(symbols) || !Array.isArray(addresses)) throw new InvalidArgumentError('symbols', `${what}: symbols and addresses must be arrays`);
  if (symbols.length === 0 && addresses.length === 0) throw new InvalidArgumentError('symbols', `${what}: one of symbols or addresses is required`);
  if (symbols.length > 0 && addresses.length > 0) throw new InvalidArgumentError('addresses', `${what}: symbols and addresses are mutually exclusive`);
  const count = symbols.length || addresses.length;
  const cookies = (opts.cookies ?? []).map((c, i) => u64Option(c, what, `cookies[${i}]`)!);
  if (cookies.length > 0 && cookies.length !== count) {
    throw new InvalidArgumentError('cookies', `${what}: ${cookies.length} cookies for ${count} ${symbols.length ? 'symbols' : 'addresses'}: they must match one to one`);
  }
  symbols.forEach((s, i) => {
    checkName(s, what, `symbols[${i}]`);
    if (!SYMBOL.test(s)) throw new InvalidArgumentError(`symbols[${i}]`, `${what}: '${s}' must be a valid symbol in /proc/kallsyms`);
  });
  const addrs = addresses.map((a, i) => u64Option(a, what, `addresses[${i}]`)!);
  const progFd = typedProgramFd(program, what, { Kprobe: ProgramType.Kprobe });
  if (opts.session) sys.haveKprobeSession();
  else sys.haveKprobeMulti();

  let syms = [...symbols];
  let skipped: string[] = [];
  // Reading available_filter_functions costs far more than the attach (tens of thousands of
  // lines): only skipUnattachable needs it up front; otherwise it explains a refusal afterwards.
  if (opts.skipUnattachable && syms.length > 0) {
    const attachable = attachableFunctions();
    if (attachable) {
      const keep = syms.map((s) => attachable.has(s));
      skipped = syms.filter((_, i) => !keep[i]);
      if (skipped.length === syms.length) throw unattachableError(skipped, syms.length, what);
      syms = syms.filter((_, i) => keep[i]);
      if (cookies.length > 0) cookies.splice(0, cookies.length, ...cookies.filter((_, i) => keep[i]));
    }
  }

  const attachType = opts.session ? sys.AttachType.TraceKprobeSession : sys.AttachType.TraceKprobeMulti;
  const context = `${what} to ${syms.length ? `${syms.length} symbols (${syms.slice(0, 3).join(', ')}${syms.length > 3 ? ', ...' : ''})` : `${addrs.length} addresses`}`;
  try {
    const fd = createLink(
      {
        kind: 'kprobeMulti',
        progFd,
        attachType,
        kprobeMultiFlags: ret ? sys.KprobeMultiFlags.Return : undefined,
        ...(syms.length ? { syms } : { addrs }),
        ...(cookies.length ? { cookies } : {}),
      },
      context,
    );
    return new KprobeMultiLink(fd, {}, skipped);
  } catch (err) {
    if (err instanceof SyscallError && syms.length > 0 && (err.errno === Errno.ESRCH || err.errno === Errno.EINVAL)) {
      const attachable = attachableFunctions();
      const missing = attachable ? syms.filter((s) => !attachable.has(s)) : [];
      if (missing.length > 0) throw unattachableError(missing, syms.length, what, err);
    }
    if (err instanceof SyscallError && err.errno === Errno.ESRCH) {
      throw new SymbolNotFoundError(syms.length ? syms.join(', ') : 'one of the addresses', { detail: `${context}: the kernel found no function for one or more of them`, cause: err });
    }
    if (err instanceof SyscallError && err.errno === Errno.EINVAL) {
      const expected = opts.session ? 'TraceKprobeSession' : 'TraceKprobeMulti';
      throw new SyscallError(err.syscall, err.errno, { context, hint: `the program must be loaded with expected attach type ${expected}; addresses must be function entries`, cause: err });
    }
    throw err;
  }
}

/**
 * Attach a Kprobe program (loaded with expected attach type TraceKprobeMulti, or
 * TraceKprobeSession for `session`) to many kernel functions at once (5.18, CONFIG_FPROBE).
 * When the kernel refuses the symbols, the error lists exactly those that cannot be attached (per
 * available_filter_functions); with `skipUnattachable` they are left out first and the link
 * attaches the rest.
 */
export function kprobeMulti(program: ProgramRef, opts: KprobeMultiOptions): KprobeMultiLink {
  return attachMulti(program, opts, false);
}

/** kprobeMulti at the functions' returns (BPF_F_KPROBE_MULTI_RETURN). */
export function kretprobeMulti(program: ProgramRef, opts: KprobeMultiOptions): KprobeMultiLink {
  return attachMulti(program, opts, true);
}
