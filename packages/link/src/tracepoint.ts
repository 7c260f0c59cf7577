import { ProgramType } from '@bpfkit/ebpf';
import { InvalidArgumentError } from '@bpfkit/errors';
import { eventID } from '@bpfkit/tracefs';
import { checkName, u64Option } from './arguments.js';
import { attachToPerfEvent, openTracepointPerfEvent, type AnyPerfEventLink, type PerfAttach } from './perf-event.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';

export interface TracepointOptions {
  /** Read back by the program with bpf_get_attach_cookie (needs perf event links, 5.15). */
  cookie?: number | bigint;
  /** Force one way of attaching to the perf event (default: a perf link where the kernel has them). */
  perfAttach?: PerfAttach;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Attach a TracePoint program to the static tracepoint `group/name` (`syscalls`, `sys_enter_getpid`):
 * its trace event ID from tracefs, a PERF_TYPE_TRACEPOINT perf event, then a perf link (or the
 * SET_BPF ioctl on kernels without). A tracepoint that does not exist gives code ENOENT.
 */
export function tracepoint(group: string, name: string, program: ProgramRef, opts: TracepointOptions = {}): AnyPerfEventLink {
  const what = `tracepoint ${group}/${name}`;
  checkName(group, `attach ${what}`, 'group');
  checkName(name, `attach ${what}`, 'name');
  for (const [argument, value] of [['group', group], ['name', name]] as const) {
    if (!IDENTIFIER.test(value)) throw new InvalidArgumentError(argument, `attach ${what}: ${JSON.stringify(value)} is not a tracepoint identifier`);
  }
  const progFd = typedProgramFd(program, `attach ${what}`, { TracePoint: ProgramType.TracePoint });
  const cookie = u64Option(opts.cookie, `attach ${what}`);
  const perfEvent = openTracepointPerfEvent(eventID(group, name));
  return attachToPerfEvent({ progFd, perfEvent, cookie, what, perfAttach: opts.perfAttach });
}
