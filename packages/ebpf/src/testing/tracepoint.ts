import { readFileSync } from 'node:fs';
import * as sys from '@bpfkit/sys';
import type { Program } from '../program.js';

/**
 * Attach a tracepoint program (perf_event_open on the tracepoint, then PERF_EVENT_IOC_SET_BPF):
 * what @bpfkit/link's tracepoint() does, without depending on it. Close the fd to detach. The
 * program runs for every task that hits the tracepoint (the perf event's task only scopes its
 * own samples), so test programs filter by tgid/tid themselves.
 */
export function attachTracepoint(program: Program, group: string, name: string): sys.FD {
  const id = Number(readFileSync(`/sys/kernel/tracing/events/${group}/${name}/id`, 'utf8'));
  const fd = sys.perfEventOpen({ type: sys.PerfType.Tracepoint, size: sys.PerfEvent.AttrSizeVer1, config: id, samplePeriod: 1, wakeupEvents: 1 }, 0, -1);
  try {
    sys.perfEventSetBpf(fd.fd, program.fd);
    sys.perfEventEnable(fd.fd);
  } catch (err) {
    fd.close();
    throw err;
  }
  return fd;
}
