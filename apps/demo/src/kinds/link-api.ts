// Signatures (from spec/API.md) of the @bpfkit/link attach functions that land on main over time;
// rows reach them through libraryFunction, which is undefined-safe, until then.
import type { Map as BpfMap, Program } from '@bpfkit/ebpf';

export interface LinkLike {
  readonly mechanism: string;
  close(): void;
}

export type ProbeFunction = (symbol: string, program: Program, opts?: { cookie?: bigint }) => LinkLike;
export type KprobeMultiFunction = (program: Program, opts: { symbols?: string[]; session?: boolean }) => LinkLike;
export interface Executable {
  uprobe(symbol: string, program: Program, opts?: { pid?: number }): LinkLike;
  uretprobe(symbol: string, program: Program, opts?: { pid?: number }): LinkLike;
  uprobeMulti(symbols: string[], program: Program, opts?: { pid?: number }): LinkLike;
  uretprobeMulti(symbols: string[], program: Program, opts?: { pid?: number }): LinkLike;
}
export type OpenExecutable = (path: string) => Executable;
export type TracepointFunction = (group: string, name: string, program: Program) => LinkLike;
export type RawTracepointFunction = (opts: { name: string; program: Program }) => LinkLike;
export type TracingFunction = (opts: { program: Program }) => LinkLike;
export type InterfaceAttach = (opts: { program: Program; interface: string | number; attach?: number }) => LinkLike;
export type NetfilterFunction = (opts: { program: Program; protocolFamily: number; hook: number; priority: number }) => LinkLike;
export type StructOpsFunction = (opts: { map: BpfMap }) => LinkLike;
