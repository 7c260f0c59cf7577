import { readFileSync } from 'node:fs';

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
