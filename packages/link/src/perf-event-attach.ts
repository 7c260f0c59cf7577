import { readFileSync } from 'node:fs';
import { ProgramType } from '@bpfkit/ebpf';
import { fromNodeError, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { u64Option } from './arguments.js';
import { closeAll } from './close.js';
import { attachToPerfEvent, type AnyPerfEventLink, type PerfAttach } from './perf-event.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';
import { UnlinkedAttachment } from './unlinked.js';

/** perf_event_attr.freq: sample_period holds a frequency. */
const ATTR_FREQ = 1n << 10n;
const ONLINE = '/sys/devices/system/cpu/online';

export interface PerfEventOptions {
  /** A PerfEvent program. */
  program: ProgramRef;
  /** PERF_TYPE_* (PerfType.Software, PerfType.Hardware, ...). */
  type: number;
  /** The event of that type, e.g. PERF_COUNT_SW_CPU_CLOCK (0). */
  config: number | bigint;
  /** Run the program every this many events (for CPU clocks: nanoseconds). One of this or sampleFrequency. */
  samplePeriod?: number | bigint;
  /** Run the program this many times a second (the kernel adjusts the period). */
  sampleFrequency?: number;
  /** Only this process (default: every process). */
  pid?: number;
  /** One CPU, or 'all': one event per online CPU in a group. Default: 'all' without a pid, any CPU with one. */
  cpu?: number | 'all';
  cookie?: number | bigint;
  /** Force one way of attaching to the perf event (default: a perf link where the kernel has them). */
  perfAttach?: PerfAttach;
}

/** One perf event link per CPU, closed together. It has no fd of its own: use `links` for each. */
export class PerfEventGroup extends UnlinkedAttachment {
  readonly links: readonly AnyPerfEventLink[];

  /** @internal */
  constructor(links: AnyPerfEventLink[]) {
    super(links[0]!.mechanism);
    this.links = Object.freeze(links);
  }

  protected get label(): string {
    return 'perf event group';
  }

  protected get why(): string {
    return 'it holds one perf event link per CPU (see links)';
  }

  get closed(): boolean {
    return this.links.every((l) => l.closed);
  }

  /** Closes every link; failures are thrown together after all were tried. */
  close(): void {
    const errors: unknown[] = [];
    for (const link of this.links) {
      try {
        link.close();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `close perf event group: ${errors.length} links failed`);
  }

  /** Closes every link on the thread pool (closeAll). */
  closeAsync(): Promise<void> {
    return closeAll(this.links);
  }
}

/** The online CPUs, from /sys/devices/system/cpu/online ("0-3,5"). */
export function onlineCPUs(): number[] {
  let text: string;
  try {
    text = readFileSync(ONLINE, 'utf8').trim();
  } catch (err) {
    throw fromNodeError(err, `read(${ONLINE})`, { context: 'listing online CPUs' });
  }
  const cpus: number[] = [];
  for (const range of text.split(',')) {
    const [from, to = from] = range.split('-').map(Number);
    for (let cpu = from!; cpu <= to!; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * Attach a PerfEvent program to a software or hardware perf event: every `samplePeriod` events
 * (or `sampleFrequency` times a second) the program runs. With `cpu: 'all'` (the default without
 * a pid) one event per online CPU, returned as one PerfEventGroup.
 */
export function attachPerfEvent(opts: PerfEventOptions & { cpu: number }): AnyPerfEventLink;
export function attachPerfEvent(opts: PerfEventOptions & { pid: number; cpu?: undefined }): AnyPerfEventLink;
export function attachPerfEvent(opts: PerfEventOptions & { cpu?: 'all' }): PerfEventGroup;
export function attachPerfEvent(opts: PerfEventOptions): AnyPerfEventLink | PerfEventGroup;
export function attachPerfEvent(opts: PerfEventOptions): AnyPerfEventLink | PerfEventGroup {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach perf event: options must be an object');
  const what = `attach perf event (type ${opts.type}, config ${opts.config})`;
  const progFd = typedProgramFd(opts.program, what, { PerfEvent: ProgramType.PerfEvent });
  if (!Number.isInteger(opts.type) || opts.type < 0) throw new InvalidArgumentError('type', `${what}: ${opts.type} is not a PERF_TYPE_* value`);
  const config = u64Option(opts.config, what, 'config');
  if (config === undefined) throw new InvalidArgumentError('config', `${what}: config is required`);
  if ((opts.samplePeriod === undefined) === (opts.sampleFrequency === undefined)) {
    throw new InvalidArgumentError('samplePeriod', `${what}: give exactly one of samplePeriod and sampleFrequency`);
  }
  const period = u64Option(opts.samplePeriod ?? opts.sampleFrequency, what, opts.samplePeriod !== undefined ? 'samplePeriod' : 'sampleFrequency')!;
  if (period === 0n) throw new InvalidArgumentError(opts.samplePeriod !== undefined ? 'samplePeriod' : 'sampleFrequency', `${what}: must be at least 1`);
  const pid = opts.pid ?? -1;
  if (!Number.isInteger(pid) || pid < -1) throw new InvalidArgumentError('pid', `${what}: ${pid} is not a process ID`);
  const cpu = opts.cpu ?? (pid === -1 ? 'all' : -1);
  if (cpu !== 'all' && (!Number.isInteger(cpu) || cpu < -1)) throw new InvalidArgumentError('cpu', `${what}: ${String(cpu)} is not a CPU number or 'all'`);
  if (cpu === -1 && pid === -1) throw new InvalidArgumentError('cpu', `${what}: an event for every process needs a CPU (or 'all')`);
  const cookie = u64Option(opts.cookie, what);
  const attr: sys.PerfEventAttr = {
    type: opts.type,
    size: sys.PerfEvent.AttrSizeVer1,
    config,
    samplePeriod: period,
    flags: opts.sampleFrequency !== undefined ? ATTR_FREQ : 0n,
  };

  const open = (onCpu: number): AnyPerfEventLink => {
    let perfEvent: sys.FD;
    try {
      perfEvent = sys.perfEventOpen(attr, pid, onCpu);
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext(`${what} on CPU ${onCpu}${pid === -1 ? '' : ` for PID ${pid}`}`) : err;
    }
    return attachToPerfEvent({ progFd, perfEvent, cookie, what, perfAttach: opts.perfAttach });
  };
  if (cpu !== 'all') return open(cpu);
  const links: AnyPerfEventLink[] = [];
  try {
    for (const c of onlineCPUs()) links.push(open(c));
  } catch (err) {
    for (const link of links) link.close();
    throw err;
  }
  return new PerfEventGroup(links);
}
