import * as link from '@bpfkit/link';
import type { Link, ProgramRef } from '@bpfkit/link';

/** What an Executable offers (API.md: openExecutable(path) → Executable). */
export interface ExecutableApi {
  uprobe(symbol: string, program: ProgramRef, opts?: object): Link;
  uprobeMulti(symbols: string[], program: ProgramRef, opts?: object): Link;
}

/**
 * The attach functions of the kinds that land on main one branch at a time, typed from API.md and
 * looked up at run time: a kind whose function @bpfkit/link does not export yet is reported as
 * "not built yet" and this file compiles either way.
 */
export interface LandingLinkApi {
  attachXDP(opts: { program: ProgramRef; interface: number | string; flags?: number }): Link;
  attachTCX(opts: { program: ProgramRef; interface: number | string; attach: number }): Link;
  attachNetfilter(opts: { program: ProgramRef; protocolFamily: number; hook: number; priority: number }): Link;
  tracepoint(group: string, name: string, program: ProgramRef): Link;
  attachRawTracepoint(opts: { name: string; program: ProgramRef }): Link;
  attachTracing(opts: { program: ProgramRef }): Link;
  openExecutable(path: string): ExecutableApi;
}

const exported = link as unknown as Partial<LandingLinkApi>;

/** The function, or undefined while @bpfkit/link on this branch does not export it. */
export function landing<K extends keyof LandingLinkApi>(name: K): LandingLinkApi[K] | undefined {
  const fn = exported[name];
  return typeof fn === 'function' ? (fn.bind(link) as LandingLinkApi[K]) : undefined;
}
