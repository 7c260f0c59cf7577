import { Errno, errnoDescription, errnoName, errnoNumber } from './errno.js';

/**
 * The brand an error class's prototype carries (a registered symbol, so every copy of this
 * package, ESM or CJS build, sees the same one).
 */
const BRAND = Symbol.for('@bpfkit/errors.brand');

type Branded = { [BRAND]?: string };

/**
 * Give an error class a brand, so `instanceof` works across copies of the package that defines
 * it (the dual-package hazard: an error from the CJS build tested against the ESM build's class).
 * `id` must be unique, e.g. `'@bpfkit/ebpf:VerifierError'`.
 */
export function brandErrorClass(cls: abstract new (...args: never[]) => Error, id: string): void {
  Object.defineProperty(cls, BRAND, { value: id });
  Object.defineProperty(cls.prototype, BRAND, { value: id });
}

/** Base class of every error bpfkit throws. */
export class BpfError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BpfError';
  }

  /** Branded classes match by brand along the prototype chain; others as plain instanceof does. */
  static [Symbol.hasInstance](value: unknown): boolean {
    const id = Object.hasOwn(this, BRAND) ? (this as Branded)[BRAND] : undefined;
    if (id === undefined) return Function.prototype[Symbol.hasInstance].call(this, value);
    for (let p = value; typeof p === 'object' && p !== null; p = Object.getPrototypeOf(p)) {
      if (Object.hasOwn(p, BRAND) && (p as Branded)[BRAND] === id) return true;
    }
    return false;
  }
}

export interface SyscallErrorOptions {
  /** What was being attempted, e.g. `attach XDP to ifindex 999`; becomes the message prefix. */
  context?: string;
  /** Extra explanation: what the errno most likely means in this situation. */
  hint?: string;
  cause?: unknown;
}

/** A system call failed. `code` is the errno's name (`'ENOENT'`), as in Node's own errors. */
export class SyscallError extends BpfError {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly hint?: string;

  constructor(syscall: string, errno: number, options: SyscallErrorOptions = {}) {
    const code = errnoName(errno);
    const head = options.context ? `${options.context}: ` : '';
    const tail = options.hint ? ` (${options.hint})` : '';
    super(`${head}${syscall}: ${code} (${errnoDescription(errno)})${tail}`, { cause: options.cause });
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    if (options.hint !== undefined) this.hint = options.hint;
  }

  /** The same error with another context prefix (what the caller was attempting). */
  withContext(context: string): SyscallError {
    return new SyscallError(this.syscall, this.errno, { context, hint: this.hint, cause: this });
  }
}

export interface NotSupportedErrorOptions {
  /** The first kernel version that has the feature, e.g. `'5.7'`. */
  minimumKernel?: string;
  /**
   * Set when a probe shows the running kernel was built without the feature (e.g.
   * `'CONFIG_KPROBES'`), as opposed to being too old for it. Strict test runs allow such skips.
   */
  missingConfig?: string;
  /**
   * Set when the kernel has the feature but refuses it here (e.g. `'EPERM'` from a lockdown or LSM
   * policy), as opposed to lacking it. Strict test runs allow such skips too.
   */
  refusal?: string;
  /** Free-form detail appended to the message. */
  detail?: string;
  cause?: unknown;
}

/** The kernel (or platform) lacks a feature: found by a feature probe, or EOPNOTSUPP/ENOTSUPP. */
export class NotSupportedError extends BpfError {
  readonly code = 'ERR_BPF_NOT_SUPPORTED' as const;
  readonly feature: string;
  readonly minimumKernel?: string;
  readonly missingConfig?: string;
  readonly refusal?: string;
  readonly detail?: string;

  constructor(feature: string, options: NotSupportedErrorOptions = {}) {
    const parts = [`${feature} not supported`];
    if (options.minimumKernel && !options.refusal) parts.push(`(requires >= v${options.minimumKernel})`);
    if (options.missingConfig) parts.push(`(kernel built without ${options.missingConfig})`);
    if (options.refusal) parts.push(`(refused by this kernel: ${options.refusal})`);
    if (options.detail) parts.push(`: ${options.detail}`);
    super(parts.join(' ').replace(' :', ':'), { cause: options.cause });
    this.name = 'NotSupportedError';
    this.feature = feature;
    if (options.minimumKernel !== undefined) this.minimumKernel = options.minimumKernel;
    if (options.missingConfig !== undefined) this.missingConfig = options.missingConfig;
    if (options.refusal !== undefined) this.refusal = options.refusal;
    if (options.detail !== undefined) this.detail = options.detail;
  }
}

/** An ELF or kernel symbol does not exist (cilium's ErrNoSymbol). */
export class SymbolNotFoundError extends BpfError {
  readonly code = 'ERR_BPF_SYMBOL_NOT_FOUND' as const;
  readonly symbol: string;
  readonly path?: string;

  constructor(symbol: string, options: { path?: string; detail?: string; cause?: unknown } = {}) {
    const where = options.path ? ` in ${options.path}` : '';
    const detail = options.detail ? `: ${options.detail}` : '';
    super(`symbol ${symbol}: not found${where}${detail}`, { cause: options.cause });
    this.name = 'SymbolNotFoundError';
    this.symbol = symbol;
    if (options.path !== undefined) this.path = options.path;
  }
}

/** Bad input caught before any system call was made. */
export class InvalidArgumentError extends BpfError {
  readonly code = 'ERR_INVALID_ARG_VALUE' as const;
  readonly argument: string;

  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super(`invalid ${argument}: ${message}`, options);
    this.name = 'InvalidArgumentError';
    this.argument = argument;
  }
}

/**
 * The one error for an object used after close(): an InvalidArgumentError naming the object
 * ("program closed"), and the argument it was passed as when it was one.
 */
export function closedError(object: string, options: { argument?: string; attempted?: string } = {}): InvalidArgumentError {
  const what = options.attempted ? `cannot ${options.attempted}: ` : '';
  return new InvalidArgumentError(options.argument ?? object, `${what}${object} closed`);
}

function chain(err: unknown, test: (e: unknown) => boolean): boolean {
  for (let e = err, depth = 0; e != null && depth < 16; e = (e as { cause?: unknown }).cause, depth++) {
    if (test(e)) return true;
  }
  return false;
}

const NOT_SUPPORTED_ERRNOS = new Set<number>([Errno.EOPNOTSUPP, Errno.ENOTSUPP]);

/** True for NotSupportedError and EOPNOTSUPP/ENOTSUPP anywhere in the cause chain. */
export function isNotSupported(err: unknown): boolean {
  return chain(
    err,
    (e) => e instanceof NotSupportedError || (e instanceof SyscallError && NOT_SUPPORTED_ERRNOS.has(e.errno)),
  );
}

const NOT_EXIST_CODES = new Set(['ENOENT', 'ENODEV']);

/**
 * True for "does not exist": ENOENT (Node's or ours), ENODEV (no such network interface) or
 * SymbolNotFoundError, anywhere in the cause chain.
 */
export function isNotExist(err: unknown): boolean {
  return chain(
    err,
    (e) =>
      e instanceof SymbolNotFoundError ||
      (typeof e === 'object' && e !== null && NOT_EXIST_CODES.has((e as { code?: unknown }).code as string)),
  );
}

/** The errno of a Node.js system error (node:fs, node:net...), or undefined for anything else. */
export function nodeErrno(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || err instanceof SyscallError) return undefined;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  const byName = typeof code === 'string' ? errnoNumber(code) : undefined;
  if (byName !== undefined) return byName;
  return typeof errno === 'number' && errno !== 0 ? Math.abs(errno) : undefined;
}

/**
 * A Node.js system error as the SyscallError bpfkit throws (the original stays as `cause`);
 * anything that is not one is returned unchanged.
 */
export function fromNodeError(err: unknown, syscall: string, options: Omit<SyscallErrorOptions, 'cause'> = {}): unknown {
  const errno = nodeErrno(err);
  return errno === undefined ? err : new SyscallError(syscall, errno, { ...options, cause: err });
}

brandErrorClass(BpfError, '@bpfkit/errors:BpfError');
brandErrorClass(SyscallError, '@bpfkit/errors:SyscallError');
brandErrorClass(NotSupportedError, '@bpfkit/errors:NotSupportedError');
brandErrorClass(SymbolNotFoundError, '@bpfkit/errors:SymbolNotFoundError');
brandErrorClass(InvalidArgumentError, '@bpfkit/errors:InvalidArgumentError');
