import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { AttrWriter, cString } from './attr.js';
import { bpf, bpfFD } from './bpf.js';
import { Cmd, OBJ_NAME_LEN, type AttachType, type ProgType } from './constants.js';
import type { FD } from './fd.js';
import { addressOf } from './libc.js';

/** `union bpf_attr` for BPF_PROG_LOAD, pointers already resolved to addresses. */
export interface ProgLoadAttr {
  progType: number;
  insnCnt: number;
  insns: bigint;
  license: bigint;
  logLevel?: number;
  logSize?: number;
  logBuf?: bigint;
  kernVersion?: number;
  progFlags?: number;
  progName?: string;
  progIfindex?: number;
  expectedAttachType?: number;
  progBtfFd?: number;
  funcInfoRecSize?: number;
  funcInfo?: bigint;
  funcInfoCnt?: number;
  lineInfoRecSize?: number;
  lineInfo?: bigint;
  lineInfoCnt?: number;
  attachBtfId?: number;
  /** attach_prog_fd and attach_btf_obj_fd share this slot. */
  attachFd?: number;
  fdArray?: bigint;
}

export const PROG_LOAD_ATTR_SIZE = 148;

export function encodeProgLoadAttr(a: ProgLoadAttr): Uint8Array {
  return new AttrWriter(PROG_LOAD_ATTR_SIZE)
    .u32(0, a.progType, 'progType')
    .u32(4, a.insnCnt, 'insnCnt')
    .u64(8, a.insns, 'insns')
    .u64(16, a.license, 'license')
    .u32(24, a.logLevel, 'logLevel')
    .u32(28, a.logSize, 'logSize')
    .u64(32, a.logBuf, 'logBuf')
    .u32(40, a.kernVersion, 'kernVersion')
    .u32(44, a.progFlags, 'progFlags')
    .cstr(48, OBJ_NAME_LEN, a.progName, 'progName')
    .u32(64, a.progIfindex, 'progIfindex')
    .u32(68, a.expectedAttachType, 'expectedAttachType')
    .u32(72, a.progBtfFd, 'progBtfFd')
    .u32(76, a.funcInfoRecSize, 'funcInfoRecSize')
    .u64(80, a.funcInfo, 'funcInfo')
    .u32(88, a.funcInfoCnt, 'funcInfoCnt')
    .u32(92, a.lineInfoRecSize, 'lineInfoRecSize')
    .u64(96, a.lineInfo, 'lineInfo')
    .u32(104, a.lineInfoCnt, 'lineInfoCnt')
    .u32(108, a.attachBtfId, 'attachBtfId')
    .u32(112, a.attachFd, 'attachFd')
    .u64(120, a.fdArray, 'fdArray').bytes;
}

/** What `progLoad` takes: the attr's scalar fields, with buffers and strings in place of pointers. */
export interface ProgLoadOptions
  extends Omit<
    ProgLoadAttr,
    'progType' | 'expectedAttachType' | 'insnCnt' | 'insns' | 'license' | 'logSize' | 'logBuf' | 'funcInfo' | 'lineInfo' | 'attachFd' | 'fdArray'
  > {
  /** One of the ProgType table's values (an AttachType or a stray number does not type-check). */
  progType: ProgType;
  expectedAttachType?: AttachType;
  /** Raw bytecode, 8 bytes per instruction. */
  insns: Uint8Array;
  license: string;
  /** Receives the verifier log; its length is the log size. */
  logBuf?: Uint8Array;
  funcInfo?: Uint8Array;
  lineInfo?: Uint8Array;
  attachBtfObjFd?: number;
  attachProgFd?: number;
  fdArray?: Int32Array;
}

const ptr = (b: Uint8Array | Int32Array | undefined): bigint | undefined =>
  b && b.byteLength > 0 ? addressOf(b instanceof Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) : undefined;

/** BPF_PROG_LOAD. On failure the verifier log (if `logBuf` was given) is in `logBuf`. */
export function progLoad(o: ProgLoadOptions): FD {
  if (o.insns.byteLength === 0 || o.insns.byteLength % 8 !== 0) {
    throw new InvalidArgumentError('insns', `${o.insns.byteLength} bytes is not a whole, non-zero number of instructions`);
  }
  if (o.attachBtfObjFd !== undefined && o.attachProgFd !== undefined) {
    throw new InvalidArgumentError('attachProgFd', 'attachBtfObjFd and attachProgFd are mutually exclusive');
  }
  const license = cString(o.license);
  const attr = encodeProgLoadAttr({
    progType: o.progType,
    insnCnt: o.insns.byteLength / 8,
    insns: addressOf(o.insns),
    license: addressOf(license),
    logLevel: o.logLevel,
    logSize: o.logBuf?.byteLength,
    logBuf: ptr(o.logBuf),
    kernVersion: o.kernVersion,
    progFlags: o.progFlags,
    progName: o.progName,
    progIfindex: o.progIfindex,
    expectedAttachType: o.expectedAttachType,
    progBtfFd: o.progBtfFd,
    funcInfoRecSize: o.funcInfoRecSize,
    funcInfo: ptr(o.funcInfo),
    funcInfoCnt: o.funcInfoCnt,
    lineInfoRecSize: o.lineInfoRecSize,
    lineInfo: ptr(o.lineInfo),
    lineInfoCnt: o.lineInfoCnt,
    attachBtfId: o.attachBtfId,
    attachFd: o.attachProgFd ?? o.attachBtfObjFd,
    fdArray: ptr(o.fdArray),
  });
  try {
    return bpfFD(Cmd.ProgLoad, attr, 'prog', [o.insns, license, o.logBuf, o.funcInfo, o.lineInfo, o.fdArray]);
  } catch (err) {
    const log = o.logBuf ? logTail(o.logBuf) : '';
    if (!(err instanceof SyscallError) || !log) throw err;
    throw new SyscallError(err.syscall, err.errno, { hint: [err.hint, `verifier log: ${log}`].filter(Boolean).join('; ') });
  }
}

/** The last lines of a NUL-terminated verifier log, on one line. */
function logTail(buf: Uint8Array, lines = 3): string {
  const end = buf.indexOf(0);
  const text = new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end)).trim();
  return text.split('\n').slice(-lines).join(' | ');
}

/** `BPF_PROG_TEST_RUN` attr. */
export interface ProgTestRunAttr {
  progFd: number;
  dataSizeIn?: number;
  dataSizeOut?: number;
  dataIn?: bigint;
  dataOut?: bigint;
  repeat?: number;
  ctxSizeIn?: number;
  ctxSizeOut?: number;
  ctxIn?: bigint;
  ctxOut?: bigint;
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

export const PROG_TEST_RUN_ATTR_SIZE = 80;

export function encodeProgTestRunAttr(a: ProgTestRunAttr): Uint8Array {
  return new AttrWriter(PROG_TEST_RUN_ATTR_SIZE)
    .u32(0, a.progFd, 'progFd')
    .u32(8, a.dataSizeIn, 'dataSizeIn')
    .u32(12, a.dataSizeOut, 'dataSizeOut')
    .u64(16, a.dataIn, 'dataIn')
    .u64(24, a.dataOut, 'dataOut')
    .u32(32, a.repeat, 'repeat')
    .u32(40, a.ctxSizeIn, 'ctxSizeIn')
    .u32(44, a.ctxSizeOut, 'ctxSizeOut')
    .u64(48, a.ctxIn, 'ctxIn')
    .u64(56, a.ctxOut, 'ctxOut')
    .u32(64, a.flags, 'flags')
    .u32(68, a.cpu, 'cpu')
    .u32(72, a.batchSize, 'batchSize').bytes;
}

export interface ProgTestRunOptions {
  progFd: number;
  dataIn?: Uint8Array;
  /** Receives the packet after the run; `dataSizeOut` says how much was written. */
  dataOut?: Uint8Array;
  ctxIn?: Uint8Array;
  ctxOut?: Uint8Array;
  repeat?: number;
  flags?: number;
  cpu?: number;
}

export interface ProgTestRunResult {
  retval: number;
  /** Average run time per repetition, in nanoseconds. */
  duration: number;
  dataSizeOut: number;
  ctxSizeOut: number;
}

/** BPF_PROG_TEST_RUN: runs the program once (or `repeat` times) on the given input. */
export function progTestRun(o: ProgTestRunOptions): ProgTestRunResult {
  const attr = encodeProgTestRunAttr({
    progFd: o.progFd,
    dataSizeIn: o.dataIn?.byteLength,
    dataSizeOut: o.dataOut?.byteLength,
    dataIn: ptr(o.dataIn),
    dataOut: ptr(o.dataOut),
    repeat: o.repeat,
    ctxSizeIn: o.ctxIn?.byteLength,
    ctxSizeOut: o.ctxOut?.byteLength,
    ctxIn: ptr(o.ctxIn),
    ctxOut: ptr(o.ctxOut),
    flags: o.flags,
    cpu: o.cpu,
  });
  bpf(Cmd.ProgTestRun, attr, attr.byteLength, [o.dataIn, o.dataOut, o.ctxIn, o.ctxOut]);
  const v = new DataView(attr.buffer);
  return {
    retval: v.getUint32(4, true),
    duration: v.getUint32(36, true),
    dataSizeOut: v.getUint32(12, true),
    ctxSizeOut: v.getUint32(44, true),
  };
}
