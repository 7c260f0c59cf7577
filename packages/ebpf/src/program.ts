import { Errno, errnoName, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { encode, type AsmItem } from './asm.js';
import { resolveTarget } from './attach-target.js';
import { FdObject, openByID, openPinnedAs, wrapForeignFd } from './fd-object.js';
import { objectName, u32Option, type PinnedOptions } from './object.js';
import { kernelSyscalls, type LoaderSyscalls } from './syscalls.js';
import { AttachType, ProgramType } from './types.js';
import { VerifierError } from './verifier-error.js';

/** The first verifier log buffer (cilium starts at 64 KiB as well). */
const MIN_LOG_SIZE = 64 * 1024;
/** The kernel caps log_size below UINT32_MAX >> 2; stop growing well before that (64 KiB x 4^5). */
const MAX_LOG_SIZE = 64 * 1024 * 1024;

/**
 * Program BTF: the blob and, for programs that need it (global functions, freplace targets and
 * Extension programs), func info. A freplace target must be a global FUNC whose pointer arguments
 * point to the program type's context struct, or the kernel treats it as a static function.
 */
export interface ProgramBTF {
  /** A BTF blob, e.g. from `BtfBuilder.encode()`. */
  data: Uint8Array;
  /** One record per function: the instruction it starts at and its FUNC type ID in `data`. */
  funcInfo?: { insnOffset: number; typeId: number }[];
  /** Source lines (`.BTF.ext` line info, instruction-indexed): the verifier log then quotes the C line. */
  lineInfo?: { insnOffset: number; fileNameOff: number; lineOff: number; lineCol: number }[];
}

export interface ProgramLoadOptions {
  type: ProgramType;
  /** Raw bytecode (8 bytes per instruction) or `asm` instructions. */
  instructions: Uint8Array | readonly AsmItem[];
  license: string;
  /** expected_attach_type. */
  attachType?: AttachType;
  /** Kernel function, LSM hook, tracepoint or iterator name; resolved through kernel BTF. */
  attachTo?: string;
  /** The program whose function (`attachTo`) an Extension or fentry/fexit program attaches to. */
  attachTarget?: Program;
  /** Up to 15 characters of [A-Za-z0-9_.]; others are dropped, longer names truncated. */
  name?: string;
  btf?: ProgramBTF;
  /** Request the verifier log from the first attempt (1 = basic, 2 = verbose); see `verifierLog`. */
  logLevel?: number;
  /** Initial log buffer size in bytes (grown on ENOSPC). */
  logSize?: number;
  /** prog_flags (BPF_F_*). */
  flags?: number;
  /** Offload to a device. */
  ifindex?: number;
}

export interface TestRunOptions {
  /** Packet (or other input) for the program; network programs need at least an Ethernet header. */
  data?: Uint8Array;
  /** Context to pass in (e.g. a `struct __sk_buff` or `xdp_md`). */
  ctx?: Uint8Array;
  repeat?: number;
  flags?: number;
  cpu?: number;
  /** Room for output data beyond the input size (default 256 bytes). */
  dataOutExtra?: number;
}

export interface TestRunResult {
  retval: number;
  /** Average run time in nanoseconds. */
  duration: number;
  /** Output packet, when data was given. */
  data?: Uint8Array;
  /** Output context, when ctx was given. */
  ctx?: Uint8Array;
}

export type ProgramInfo = sys.ProgInfo;

function logText(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}

function permissionHint(type: number): string {
  const trampoline =
    type === ProgramType.Tracing || type === ProgramType.LSM || type === ProgramType.Extension || type === ProgramType.StructOps
      ? '; fentry/fexit/fmod_ret, LSM and freplace programs also need BPF trampolines, which some kernels block by policy'
      : '';
  return `loading programs needs root or CAP_BPF (plus CAP_PERFMON for tracing, CAP_NET_ADMIN for networking); kernel lockdown or an LSM policy can also refuse it${trampoline}`;
}

/**
 * The program loader with its syscalls injected (tests pass a recorder; `Program.load` passes
 * @bpfkit/sys). First tries without a verifier log, as cilium/ebpf does; on failure it retries
 * with a log buffer, growing it on ENOSPC, and throws VerifierError with the log.
 */
export function loadProgram(opts: ProgramLoadOptions, sc: LoaderSyscalls): Program {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'must be an object');
  const type = u32Option(opts.type, 'type');
  if (type === undefined) throw new InvalidArgumentError('type', 'is required');
  const attachType = u32Option(opts.attachType, 'attachType') ?? 0;
  if (typeof opts.license !== 'string' || opts.license.includes('\0')) throw new InvalidArgumentError('license', 'must be a string such as "GPL"');
  const insns = opts.instructions instanceof Uint8Array ? opts.instructions : encode(opts.instructions as AsmItem[]);
  if (insns.byteLength === 0 || insns.byteLength % 8 !== 0) {
    throw new InvalidArgumentError('instructions', `${insns.byteLength} bytes is not a whole, non-zero number of 8-byte instructions`);
  }
  const name = objectName(opts.name ?? '');
  const logLevel = u32Option(opts.logLevel, 'logLevel') ?? 0;
  const logSize = u32Option(opts.logSize, 'logSize') ?? MIN_LOG_SIZE;
  if (logSize < 128) throw new InvalidArgumentError('logSize', 'must be at least 128 bytes');
  const flags = u32Option(opts.flags, 'flags');
  const ifindex = u32Option(opts.ifindex, 'ifindex');
  if (opts.attachTarget !== undefined && !(opts.attachTarget instanceof Program)) {
    throw new InvalidArgumentError('attachTarget', 'must be a Program');
  }
  let funcInfo: Uint8Array | undefined;
  let lineInfo: Uint8Array | undefined;
  if (opts.btf !== undefined) {
    if (!(opts.btf.data instanceof Uint8Array)) throw new InvalidArgumentError('btf.data', 'must be a Uint8Array');
    const recs = opts.btf.funcInfo ?? [];
    funcInfo = new Uint8Array(recs.length * 8);
    const view = new DataView(funcInfo.buffer);
    recs.forEach((r, i) => {
      view.setUint32(i * 8, u32Option(r.insnOffset, 'funcInfo.insnOffset')!, true);
      view.setUint32(i * 8 + 4, u32Option(r.typeId, 'funcInfo.typeId')!, true);
    });
    const lines = opts.btf.lineInfo ?? [];
    lineInfo = new Uint8Array(lines.length * 16);
    const lineView = new DataView(lineInfo.buffer);
    lines.forEach((r, i) => {
      lineView.setUint32(i * 16, u32Option(r.insnOffset, 'lineInfo.insnOffset')!, true);
      lineView.setUint32(i * 16 + 4, u32Option(r.fileNameOff, 'lineInfo.fileNameOff')!, true);
      lineView.setUint32(i * 16 + 8, u32Option(r.lineOff, 'lineInfo.lineOff')!, true);
      lineView.setUint32(i * 16 + 12, u32Option(r.lineCol, 'lineInfo.lineCol')!, true);
    });
  }
  const what = `load ${programTypeName(type)} program${name ? ` ${name}` : ''}`;

  const target = resolveTarget({ type, attachType, attachTo: opts.attachTo, attachTarget: opts.attachTarget }, sc);
  let btfFd: sys.FD | undefined;
  try {
    if (opts.btf) btfFd = loadBTF(opts.btf.data, sc, what);
    // `type` and the attach types were checked as u32s above; the kernel judges the values.
    const base: sys.ProgLoadOptions = {
      progType: type as ProgramType,
      insns,
      license: opts.license,
      progName: name || undefined,
      expectedAttachType: (target.expectedAttachType ?? (attachType || undefined)) as AttachType | undefined,
      progFlags: flags,
      progIfindex: ifindex,
      attachBtfId: target.attachBtfId,
      attachBtfObjFd: target.attachBtfObjFd,
      attachProgFd: target.attachProgFd,
      progBtfFd: btfFd?.fd,
      ...(funcInfo && funcInfo.byteLength > 0 ? { funcInfoRecSize: 8, funcInfo, funcInfoCnt: funcInfo.byteLength / 8 } : {}),
      ...(lineInfo && lineInfo.byteLength > 0 ? { lineInfoRecSize: 16, lineInfo, lineInfoCnt: lineInfo.byteLength / 16 } : {}),
    };
    let firstError: SyscallError | undefined;
    if (logLevel === 0) {
      try {
        return new Program(sc.progLoad(base), type, name);
      } catch (err) {
        if (!(err instanceof SyscallError)) throw err;
        firstError = err;
      }
    }
    let size = logSize;
    for (;;) {
      const logBuf = new Uint8Array(size);
      try {
        const prog = new Program(sc.progLoad({ ...base, logLevel: logLevel || 1, logBuf }), type, name);
        if (logLevel > 0) prog.verifierLog = logText(logBuf);
        return prog;
      } catch (err) {
        if (!(err instanceof SyscallError)) throw err;
        if (err.errno === Errno.ENOSPC && size < MAX_LOG_SIZE) {
          size *= 4;
          continue;
        }
        firstError ??= err;
        const log = logText(logBuf).trim();
        if (log) {
          throw new VerifierError(what, err.errno, errnoName(err.errno), log, { truncated: err.errno === Errno.ENOSPC, cause: err });
        }
        // No log to show: report the first failure (the retry only added a log buffer).
        const e = firstError;
        const hint = e.errno === Errno.EPERM ? permissionHint(type) : undefined;
        throw new SyscallError(e.syscall, e.errno, { context: what, hint, cause: e });
      }
    }
  } finally {
    btfFd?.close();
    for (const fd of target.fds) fd.close();
  }
}

function loadBTF(data: Uint8Array, sc: LoaderSyscalls, what: string): sys.FD {
  try {
    return sc.btfLoad({ btf: data });
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    const logBuf = new Uint8Array(MIN_LOG_SIZE);
    try {
      sc.btfLoad({ btf: data, logBuf, logLevel: 1 }).close();
    } catch {
      // Only wanted the log.
    }
    const log = logText(logBuf).trim().split('\n').slice(-3).join(' | ');
    throw new SyscallError(err.syscall, err.errno, { context: `${what}: load program BTF`, hint: log || undefined, cause: err });
  }
}

/** A loaded eBPF program. Owns its fd; close it (or `using` it), or the finalizer will. */
export class Program extends FdObject {
  readonly type: ProgramType;
  readonly name: string;
  /** The verifier log, when the program was loaded with `logLevel` > 0. */
  verifierLog: string | undefined;

  /** @internal Use Program.load / fromFD / fromID / loadPinned. */
  constructor(fd: sys.FD, type: number, name: string, pinnedPath?: string) {
    super(fd, 'prog', pinnedPath);
    this.type = type as ProgramType;
    this.name = name;
  }

  /** Load a program (BPF_PROG_LOAD). */
  static load(opts: ProgramLoadOptions): Program {
    return loadProgram(opts, kernelSyscalls);
  }

  /**
   * Wrap an existing program fd. On success the Program owns `fd` (closing the Program closes
   * it); on error the caller still owns it.
   */
  static fromFD(fd: number): Program {
    return wrapForeignFd(fd, 'prog', wrapProgram);
  }

  /** Open a loaded program by its ID (BPF_PROG_GET_FD_BY_ID). */
  static fromID(id: number): Program {
    return openByID(id, 'prog', wrapProgram);
  }

  /** Open a program pinned in bpffs. */
  static loadPinned(path: string, options: PinnedOptions = {}): Program {
    return openPinnedAs(path, options, 'prog', wrapProgram);
  }

  /** BPF_OBJ_GET_INFO_BY_FD: id, name, tag, type, btfId, map IDs, ... */
  info(): ProgramInfo {
    return sys.progInfo(this.openFd('get info'));
  }

  /** A second Program owning a duplicate fd. */
  clone(): Program {
    return new Program(this.dupFd(), this.type, this.name);
  }

  /** Run the program once or `repeat` times on test input (BPF_PROG_TEST_RUN). */
  testRun(opts: TestRunOptions = {}): TestRunResult {
    const fd = this.openFd('test run');
    const repeat = u32Option(opts.repeat, 'repeat');
    const extra = u32Option(opts.dataOutExtra, 'dataOutExtra') ?? 256;
    const dataOut = opts.data ? new Uint8Array(opts.data.byteLength + extra) : undefined;
    const ctxOut = opts.ctx ? new Uint8Array(opts.ctx.byteLength) : undefined;
    let r: sys.ProgTestRunResult;
    try {
      r = sys.progTestRun({ progFd: fd, dataIn: opts.data, dataOut, ctxIn: opts.ctx, ctxOut, repeat, flags: opts.flags, cpu: opts.cpu });
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext(`test run program${this.name ? ` ${this.name}` : ''}`) : err;
    }
    return {
      retval: r.retval,
      duration: r.duration,
      ...(dataOut ? { data: dataOut.slice(0, r.dataSizeOut) } : {}),
      ...(ctxOut ? { ctx: ctxOut.slice(0, r.ctxSizeOut) } : {}),
    };
  }

  toString(): string {
    return `Program(${this.name || programTypeName(this.type)}, fd ${this.fd})`;
  }
}

function programTypeName(type: number): string {
  return Object.entries(ProgramType).find(([, v]) => v === type)?.[0] ?? `type ${type}`;
}

function wrapProgram(owned: sys.FD, pinnedPath?: string): Program {
  const info = sys.progInfo(owned.fd);
  return new Program(owned, info.type, info.name, pinnedPath);
}
