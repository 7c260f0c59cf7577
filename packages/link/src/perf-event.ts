import { readFileSync } from 'node:fs';
import { Errno, fromNodeError, isNotSupported, NotSupportedError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import type { ProbeEvent } from '@bpfkit/tracefs';
import { createLink, RawLink, type LinkMechanism, type RawLinkInit } from './link.js';
import { UnlinkedAttachment } from './unlinked.js';

/** How a program was attached to its perf event: a bpf_link (5.15+) or the SET_BPF ioctl. */
export type PerfAttach = 'perf_event+bpf_link' | 'perf_event+ioctl';

/** The perf event and tracefs event a perf-event attachment owns, closed in this order after the link fd. */
interface Held {
  link?: sys.FD;
  perfEvent?: sys.FD;
  event?: ProbeEvent;
}

function closeHeld(held: Held): void {
  held.link?.close();
  held.perfEvent?.close();
  held.event?.close();
}

async function closeHeldAsync(held: Held): Promise<void> {
  await held.link?.closeAsync();
  await held.perfEvent?.closeAsync();
  held.event?.close();
}

// One finalizer for the whole attachment, so a dropped link closes its parts in order (a tracefs
// event removed before its perf event is closed would fail with EBUSY and stay behind).
const finalizer = new FinalizationRegistry<Held>((held) => {
  try {
    closeHeld(held);
  } catch {
    // Nobody is left to report to; tracefs's stale-event sweep removes what remains.
  }
});

function mechanismOf(attach: PerfAttach, event: ProbeEvent | undefined): LinkMechanism {
  return event ? 'tracefs' : attach;
}

/**
 * A program attached to a perf event (kprobe, uprobe, tracepoint, software/hardware event)
 * through a bpf_link. `mechanism` is 'tracefs' when the probe is a tracefs event; `perfAttach`
 * says how the program is attached to the perf event either way.
 */
export class PerfEventLink extends RawLink {
  readonly #held: Held;
  readonly perfAttach: PerfAttach = 'perf_event+bpf_link';

  /** @internal */
  constructor(fd: sys.FD, init: RawLinkInit = {}, perfEvent?: sys.FD, event?: ProbeEvent) {
    super(fd, { mechanism: mechanismOf('perf_event+bpf_link', event), ...init });
    this.#held = { link: fd, perfEvent, event };
    if (perfEvent) finalizer.register(this, this.#held, this);
  }

  protected override get label(): string {
    return 'perf event link';
  }

  protected override get updatable(): boolean {
    return false;
  }

  /** A duplicate of the perf event fd (the caller closes it). Links opened from a pin, an ID or an fd have none. */
  perfEvent(): sys.FD {
    return dupPerfEvent(this.#held.perfEvent);
  }

  /** The tracefs event behind the probe, for probes created through tracefs. */
  get tracefsEvent(): ProbeEvent | undefined {
    return this.#held.event;
  }

  /** Closes the link fd, then the perf event, then removes the tracefs event. */
  override close(): void {
    finalizer.unregister(this);
    closeHeld(this.#held);
  }

  override async closeAsync(): Promise<void> {
    finalizer.unregister(this);
    await closeHeldAsync(this.#held);
  }
}

function dupPerfEvent(perfEvent: sys.FD | undefined): sys.FD {
  if (!perfEvent || perfEvent.closed) {
    throw new NotSupportedError('perf event of a link opened from a pin, an ID or an fd', { detail: 'only the process that attached it holds the perf event' });
  }
  return perfEvent.dup();
}

/**
 * A program attached to a perf event with PERF_EVENT_IOC_SET_BPF (kernels before 5.15). There is no
 * link fd: `fd` is -1, and pin, info, update and detach are NotSupportedError. Closing the perf
 * event detaches the program.
 */
export class PerfEventIoctlLink extends UnlinkedAttachment {
  readonly #held: Held;
  readonly perfAttach: PerfAttach = 'perf_event+ioctl';

  /** @internal */
  constructor(perfEvent: sys.FD, event?: ProbeEvent) {
    super(mechanismOf('perf_event+ioctl', event));
    this.#held = { perfEvent, event };
    finalizer.register(this, this.#held, this);
  }

  protected get label(): string {
    return 'perf event attachment';
  }

  protected get why(): string {
    return 'the program was attached with PERF_EVENT_IOC_SET_BPF (kernels before 5.15 have no perf event links)';
  }

  get closed(): boolean {
    return this.#held.perfEvent!.closed;
  }

  get tracefsEvent(): ProbeEvent | undefined {
    return this.#held.event;
  }

  perfEvent(): sys.FD {
    return dupPerfEvent(this.#held.perfEvent);
  }

  /** Closes the perf event (which detaches the program), then removes the tracefs event. */
  close(): void {
    finalizer.unregister(this);
    closeHeld(this.#held);
  }

  async closeAsync(): Promise<void> {
    finalizer.unregister(this);
    await closeHeldAsync(this.#held);
  }

  toString(): string {
    return `PerfEventIoctlLink(${this.#held.perfEvent})`;
  }
}

/** A perf-event attachment, whichever way the kernel allowed. */
export type AnyPerfEventLink = PerfEventLink | PerfEventIoctlLink;

export interface AttachPerfEventFdOptions {
  /** The program's fd, already checked by the caller. */
  progFd: number;
  /** The perf event; owned by the returned link, or closed (with `event`) on failure. */
  perfEvent: sys.FD;
  /** A tracefs event behind the perf event (probes created through tracefs). */
  event?: ProbeEvent;
  cookie?: number | bigint;
  /** What is being attached, for messages ("kprobe do_sys_openat2"). */
  what: string;
  /** Force one way of attaching (default: a perf link where the kernel has them). */
  perfAttach?: PerfAttach;
}

/**
 * Attach a program to an open perf event: BPF_LINK_CREATE(BPF_PERF_EVENT) with the cookie where
 * the kernel has perf links, else PERF_EVENT_IOC_SET_BPF + PERF_EVENT_IOC_ENABLE (no cookies).
 * On failure the perf event and tracefs event are closed.
 */
export function attachToPerfEvent(opts: AttachPerfEventFdOptions): AnyPerfEventLink {
  const { perfEvent, event, what } = opts;
  try {
    if (opts.perfAttach === 'perf_event+bpf_link') sys.haveBPFLinkPerfEvent();
    if (opts.perfAttach !== 'perf_event+ioctl' && (opts.perfAttach !== undefined || havePerfLink())) {
      let fd: sys.FD;
      try {
        fd = createLink({ kind: 'perfEvent', progFd: opts.progFd, targetFd: perfEvent.fd, attachType: sys.AttachType.PerfEvent, bpfCookie: opts.cookie }, `attach ${what}`);
      } catch (err) {
        throw err instanceof SyscallError ? withEexistHint(err, `attach ${what}`) : err;
      }
      return new PerfEventLink(fd, {}, perfEvent, event);
    }
    if (opts.cookie !== undefined && BigInt(opts.cookie) !== 0n) {
      throw new NotSupportedError(`cookies on ${what}`, { minimumKernel: '5.15', detail: 'the kernel has no perf event links, which carry the cookie' });
    }
    try {
      sys.perfEventSetBpf(perfEvent.fd, opts.progFd);
    } catch (err) {
      throw err instanceof SyscallError ? withEexistHint(err, `attach ${what}: setting the perf event's BPF program`) : err;
    }
    try {
      sys.perfEventEnable(perfEvent.fd);
    } catch (err) {
      throw err instanceof SyscallError ? err.withContext(`attach ${what}: enabling the perf event`) : err;
    }
    return new PerfEventIoctlLink(perfEvent, event);
  } catch (err) {
    perfEvent.close();
    event?.close();
    throw err;
  }
}

/** The kernel keeps one copy of a program per event (tracepoints, probes): say so for EEXIST. */
function withEexistHint(err: SyscallError, context: string): SyscallError {
  if (err.errno !== Errno.EEXIST) return err;
  return new SyscallError(err.syscall, err.errno, { context, hint: 'the program is attached to this perf event already', cause: err });
}

/** Whether BPF_LINK_CREATE(BPF_PERF_EVENT) works; an inconclusive probe selects the ioctl, as cilium does. */
export function havePerfLink(): boolean {
  try {
    sys.haveBPFLinkPerfEvent();
    return true;
  } catch (err) {
    if (isNotSupported(err) || err instanceof SyscallError) return false;
    throw err;
  }
}

/** A perf PMU that creates probes without tracefs. */
export type ProbePMU = 'kprobe' | 'uprobe';

const PMU_DIR = '/sys/bus/event_source/devices';
const pmuCache = new Map<string, number>();

/** Reads a number from a PMU sysfs file (`%d` or `config:%d`), memoised on success. */
function pmuNumber(pmu: ProbePMU, file: string, pattern: RegExp): number {
  const path = `${PMU_DIR}/${pmu}/${file}`;
  const cached = pmuCache.get(path);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new NotSupportedError(`perf ${pmu} PMU`, { minimumKernel: '4.17', detail: `${path} does not exist` });
    }
    throw fromNodeError(err, `read(${path})`, { context: `reading the ${pmu} PMU` });
  }
  const m = pattern.exec(text.trim());
  if (!m) throw new SyscallError(`read(${path})`, Errno.EINVAL, { context: `reading the ${pmu} PMU`, hint: `unexpected content ${JSON.stringify(text)}` });
  const n = Number(m[1]);
  pmuCache.set(path, n);
  return n;
}

/** The perf_event_attr.type of a probe PMU (`/sys/bus/event_source/devices/<pmu>/type`); NotSupportedError without it. */
export function pmuType(pmu: ProbePMU): number {
  return pmuNumber(pmu, 'type', /^(\d+)$/);
}

/** The config bit that makes a PMU probe a return probe (`format/retprobe`, `config:0` in practice). */
export function retprobeBit(pmu: ProbePMU): number {
  return pmuNumber(pmu, 'format/retprobe', /^config:(\d+)$/);
}

export interface PMUProbeOptions {
  pmu: ProbePMU;
  /** kprobe: the kernel symbol; uprobe: the absolute path of the file. */
  target: string;
  /** kprobe: offset into the symbol; uprobe: file offset of the probed instruction. */
  offset?: number | bigint;
  ret?: boolean;
  /** uprobe only: file offset of the USDT semaphore (config bits 32-63). */
  refCtrOffset?: number | bigint;
  /** Only this process (-1 or omitted: every process). */
  pid?: number;
}

/** The probe place as tracefs writes it, for messages: `sym+0x10`, `/bin/x:0x40(0x8)`. */
export function probeToken(o: Pick<PMUProbeOptions, 'pmu' | 'target' | 'offset' | 'refCtrOffset'>): string {
  const off = BigInt(o.offset ?? 0);
  const ref = BigInt(o.refCtrOffset ?? 0);
  if (o.pmu === 'kprobe') return off === 0n ? o.target : `${o.target}+0x${off.toString(16)}`;
  return `${o.target}:0x${off.toString(16)}${ref === 0n ? '' : `(0x${ref.toString(16)})`}`;
}

/**
 * perf_event_open of a kprobe or uprobe through its PMU (4.17+): no tracefs state. Missing PMU or
 * an EINVAL for a dotted name (kernels that reject dots) are NotSupportedError, which callers take
 * as "use tracefs"; ENOENT stays ENOENT.
 */
export function openPMUProbe(o: PMUProbeOptions): sys.FD {
  const type = pmuType(o.pmu);
  let config = o.ret ? 1n << BigInt(retprobeBit(o.pmu)) : 0n;
  const refCtr = BigInt(o.refCtrOffset ?? 0);
  if (refCtr !== 0n) {
    sys.haveRefCtrOffsetPMU();
    config |= refCtr << 32n;
  }
  const pid = o.pid ?? -1;
  const token = probeToken(o);
  try {
    return sys.perfEventOpen(
      { type, size: sys.PerfEvent.AttrSizeVer1, config, config1: sys.cString(o.target), config2: BigInt(o.offset ?? 0) },
      pid,
      pid === -1 ? 0 : -1,
    );
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    if (err.errno === Errno.EINVAL && o.target.includes('.') && o.pmu === 'kprobe') {
      throw new NotSupportedError(`perf ${o.pmu} PMU with dotted symbols`, { detail: `token ${token}: the kernel rejected the symbol with EINVAL`, cause: err });
    }
    const context = `token ${token}`;
    switch (err.errno) {
      case Errno.ENOENT:
        throw new SyscallError(err.syscall, err.errno, { context: `${context}: not found`, cause: err });
      case Errno.EILSEQ:
        throw new SyscallError(err.syscall, err.errno, { context, hint: 'the offset is not on an instruction boundary', cause: err });
      case Errno.ENOTSUPP:
        throw new SyscallError(err.syscall, err.errno, { context, hint: `failed setting a ${o.pmu} at offset 0x${BigInt(o.offset ?? 0).toString(16)}: possibly a trap instruction`, cause: err });
      default:
        throw err.withContext(`${context}: opening perf event`);
    }
  }
}

/**
 * perf_event_open(PERF_TYPE_TRACEPOINT) of a trace event ID: a static tracepoint or a tracefs
 * kprobe/uprobe event.
 */
export function openTracepointPerfEvent(id: number, pid = -1): sys.FD {
  try {
    return sys.perfEventOpen(
      { type: sys.PerfType.Tracepoint, config: id, sampleType: sys.PerfEvent.SampleRaw, samplePeriod: 1, wakeupEvents: 1 },
      pid,
      pid === -1 ? 0 : -1,
    );
  } catch (err) {
    throw err instanceof SyscallError ? err.withContext(`opening tracepoint perf event (trace event ID ${id})`) : err;
  }
}
