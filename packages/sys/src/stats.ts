import { AttrWriter } from './attr.js';
import { bpfFD } from './bpf.js';
import { Cmd, type StatsType } from './constants.js';
import type { FD } from './fd.js';

/** BPF_ENABLE_STATS: run-time statistics stay on while the returned fd is open. */
export function enableStats(type: StatsType): FD {
  return bpfFD(Cmd.EnableStats, new AttrWriter(4).u32(0, type, 'type').bytes, 'stats');
}
