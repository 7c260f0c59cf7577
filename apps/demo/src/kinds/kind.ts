import type { Map as BpfMap } from '@bpfkit/ebpf';
import type { AttachKind } from '@bpfkit/link';
import type { Env } from '../env.js';

/** What a row's setup made: at least how the program got attached. */
export interface Attached {
  /** link.mechanism, or how the program is attached when there is no link (socket filter). */
  mechanism: string;
}

/** One row of the demo: one attach kind (or a variant of one), attached, fired and counted. */
export interface DemoKind<S extends Attached = Attached> {
  /** The row name: a features() kind, or `kind/variant`. */
  name: string;
  /** The features() entry that says whether this kernel supports it. */
  feature: AttachKind;
  /** The @bpfkit/link exports the row calls; a missing one means "not implemented yet". */
  needs: readonly string[];
  /** What it attaches to and what fires it. */
  hook: string;
  setup(env: Env): S | Promise<S>;
  /** Makes the hook fire (called repeatedly while the demo runs). */
  trigger(state: S, env: Env): void | Promise<void>;
  /** Runs of the program so far. */
  count(state: S): bigint;
  /** For rows that know exactly how often the hook must have fired: that number. */
  expected?(state: S): bigint;
  /** Detaches early; whatever it misses, the env's cleanup closes. */
  cleanup(state: S): void;
}

/** The usual state: one link and its counter. */
export interface Counted extends Attached {
  link: { close(): void };
  map: BpfMap;
}

export function counted(link: { close(): void; mechanism: string }, map: BpfMap): Counted {
  return { link, map, mechanism: link.mechanism };
}

export const readCounter = (state: { map: BpfMap }): bigint => state.map.lookupU64(0) ?? 0n;
export const closeLink = (state: { link: { close(): void } }): void => state.link.close();

/** A row of the usual shape: setup returns counted(link, map); count reads it; cleanup closes the link. */
export function kind<S extends Counted>(row: Omit<DemoKind<S>, 'count' | 'cleanup'> & Partial<Pick<DemoKind<S>, 'count' | 'cleanup'>>): DemoKind<S> {
  return { count: readCounter, cleanup: closeLink, ...row };
}
