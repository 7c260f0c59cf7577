import { Errno, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { readlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { AttrWriter, cString } from './attr.js';
import { bpf, bpfFD } from './bpf.js';
import { Cmd, FsMagic, RENAME_NOREPLACE } from './constants.js';
import type { FD } from './fd.js';
import { addressOf, renameat2, statfs, unlink } from './libc.js';


/** BPF_OBJ_PIN / BPF_OBJ_GET attr. */
export interface ObjAttr {
  pathname: bigint;
  bpfFd?: number;
  fileFlags?: number;
  pathFd?: number;
}

export const OBJ_ATTR_SIZE = 24;

export function encodeObjAttr(a: ObjAttr): Uint8Array {
  return new AttrWriter(OBJ_ATTR_SIZE)
    .u64(0, a.pathname, 'pathname')
    .u32(8, a.bpfFd, 'bpfFd')
    .u32(12, a.fileFlags, 'fileFlags')
    .s32(16, a.pathFd, 'pathFd').bytes;
}

function checkPath(path: string): Uint8Array {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', 'pinning path cannot be empty');
  return cString(path);
}

/** BPF_OBJ_PIN: pins `fd` at `path` (which must be on a bpf filesystem). */
export function objPin(path: string, fd: number): void {
  const p = checkPath(path);
  bpf(Cmd.ObjPin, encodeObjAttr({ pathname: addressOf(p), bpfFd: fd }), OBJ_ATTR_SIZE, [p]);
}

/** BPF_OBJ_GET: opens the object pinned at `path`. */
export function objGet(path: string, fileFlags?: number): FD {
  const p = checkPath(path);
  return bpfFD(Cmd.ObjGet, encodeObjAttr({ pathname: addressOf(p), fileFlags }), 'pinned', [p]);
}

/** Throws unless `dir` is on a bpf filesystem. */
export function assertBpffs(dir: string): void {
  const { type } = statfs(dir);
  if (type !== FsMagic.Bpf) {
    throw new InvalidArgumentError('path', `${dir} is not on a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)`);
  }
}

/**
 * cilium's sys.Pin: pin `fd` at `newPath`, or move an existing pin from `currentPath` there
 * (renameat2 RENAME_NOREPLACE, so an existing file is never overwritten).
 */
export function pin(currentPath: string | undefined, newPath: string, fd: number): void {
  checkPath(newPath);
  if (currentPath === newPath) return;
  assertBpffs(dirname(newPath));
  if (!currentPath) {
    objPin(newPath, fd);
    return;
  }
  try {
    renameat2(currentPath, newPath, RENAME_NOREPLACE);
  } catch (err) {
    // The old pin is gone (state out of sync): pin afresh.
    if (err instanceof SyscallError && err.errno === Errno.ENOENT) objPin(newPath, fd);
    else throw (err as SyscallError).withContext(`unable to move pinned object to new path ${newPath}`);
  }
}

/** Removes a pin; a missing one is not an error. */
export function unpin(path: string | undefined): void {
  if (!path) return;
  try {
    unlink(path);
  } catch (err) {
    if (!(err instanceof SyscallError && err.errno === Errno.ENOENT)) throw err;
  }
}

/** BPF_OBJ_GET_INFO_BY_FD attr. */
export interface InfoAttr {
  bpfFd: number;
  infoLen: number;
  info: bigint;
}

export const INFO_ATTR_SIZE = 16;

export function encodeInfoAttr(a: InfoAttr): Uint8Array {
  return new AttrWriter(INFO_ATTR_SIZE).u32(0, a.bpfFd, 'bpfFd').u32(4, a.infoLen, 'infoLen').u64(8, a.info, 'info').bytes;
}

/** BPF_OBJ_GET_INFO_BY_FD into `info`; returns the info_len the kernel wrote back. */
export function objGetInfoByFd(fd: number, info: Uint8Array): number {
  const attr = encodeInfoAttr({ bpfFd: fd, infoLen: info.byteLength, info: addressOf(info) });
  bpf(Cmd.ObjGetInfoByFd, attr, INFO_ATTR_SIZE, [info]);
  return new DataView(attr.buffer).getUint32(4, true);
}

/** The attr of *_GET_FD_BY_ID and *_GET_NEXT_ID. */
export interface IdAttr {
  id: number;
  nextId?: number;
  openFlags?: number;
}

export const ID_ATTR_SIZE = 12;

export function encodeIdAttr(a: IdAttr): Uint8Array {
  return new AttrWriter(ID_ATTR_SIZE).u32(0, a.id, 'id').u32(4, a.nextId, 'nextId').u32(8, a.openFlags, 'openFlags').bytes;
}

function getFdById(cmd: number, label: string, id: number): FD {
  return bpfFD(cmd, encodeIdAttr({ id }), label);
}

function getNextId(cmd: number, start: number): number | undefined {
  const attr = encodeIdAttr({ id: start });
  try {
    bpf(cmd, attr);
  } catch (err) {
    if (err instanceof SyscallError && err.errno === Errno.ENOENT) return undefined;
    throw err;
  }
  return new DataView(attr.buffer).getUint32(4, true);
}

export const progGetFdById = (id: number): FD => getFdById(Cmd.ProgGetFdById, 'prog', id);
export const mapGetFdById = (id: number): FD => getFdById(Cmd.MapGetFdById, 'map', id);
export const linkGetFdById = (id: number): FD => getFdById(Cmd.LinkGetFdById, 'link', id);
export const btfGetFdById = (id: number): FD => getFdById(Cmd.BtfGetFdById, 'btf', id);

/** The next ID after `start`, or undefined past the last one. */
export const progGetNextId = (start: number): number | undefined => getNextId(Cmd.ProgGetNextId, start);
export const mapGetNextId = (start: number): number | undefined => getNextId(Cmd.MapGetNextId, start);
export const linkGetNextId = (start: number): number | undefined => getNextId(Cmd.LinkGetNextId, start);
export const btfGetNextId = (start: number): number | undefined => getNextId(Cmd.BtfGetNextId, start);

/** What kind of BPF object a descriptor refers to, from /proc/self/fd (cilium's ObjGetTyped). */
export type BpfObjectKind = 'prog' | 'map' | 'link' | 'btf' | 'token';

/** The BPF object behind `fd`, or undefined when it is not one (or not open). */
export function bpfObjectKind(fd: number): BpfObjectKind | undefined {
  try {
    // The kernel's anon inode names: bpf-prog, bpf-map, bpf_link, btf, bpf-token.
    const m = /^anon_inode:(?:bpf[-_])?(prog|map|link|btf|token)$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
    return m?.[1] as BpfObjectKind | undefined;
  } catch {
    return undefined;
  }
}
