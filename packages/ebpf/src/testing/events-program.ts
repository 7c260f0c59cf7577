import { readFileSync } from 'node:fs';
import { loadCollection, type Collection } from '../collection.js';
import { loadCollectionSpec } from '../collection-spec.js';
import { compileBpf } from '@bpfkit/testing';

/** Programs that write one event per getppid(2): to a ring buffer, or to a perf event array. */
export const EVENTS = readFileSync(new URL('./bpf/events.bpf.c', import.meta.url), 'utf8');

export interface Event {
  seq: number;
  tgid: number;
  tid: number;
}

export const decode = (b: Uint8Array): Event => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { seq: Number(v.getBigUint64(0, true)), tgid: v.getUint32(8, true), tid: v.getUint32(12, true) };
};

/** Load one of the event programs, counting only the getppid calls of process `tgid`. */
export function loadEvents(program: 'to_ring' | 'to_perf', tgid: number): Collection {
  const spec = loadCollectionSpec(compileBpf(EVENTS));
  spec.variables.target_tgid!.set(tgid);
  return loadCollection(spec, { programs: [program] });
}
