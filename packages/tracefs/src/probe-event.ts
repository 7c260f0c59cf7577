import { BpfError, Errno, fromNodeError, NotSupportedError, SyscallError } from '@bpfkit/errors';
import { appendCommand, type ProbeType, removeEvent } from './events-file.js';
import { readEventID } from './event-id.js';
import { tracefsFile } from './path.js';
import { removeStaleEventsOnce } from './stale.js';

interface Held {
  root: string;
  type: ProbeType;
  group: string;
  name: string;
}

// A dropped event would otherwise stay in tracefs until some later process sweeps it up.
const registry = new FinalizationRegistry<Held>((held) => {
  try {
    removeEvent(held.root, held.type, held.group, held.name);
  } catch {
    // Nobody is left to report to; removeStaleEvents() catches what remains after the process ends.
  }
});

/**
 * A kprobe or uprobe event in tracefs (`<tracefs>/events/<group>/<name>`). `close()` removes it;
 * an event that is dropped without close() is removed by a finalizer.
 */
export class ProbeEvent implements Disposable {
  readonly type: ProbeType;
  readonly group: string;
  readonly name: string;
  /** The trace event ID, for perf_event_open(PERF_TYPE_TRACEPOINT). */
  readonly id: number;
  /** The tracefs directory the event lives in. */
  readonly tracefs: string;
  #closed = false;

  /** @internal Created by createKprobeEvent() and createUprobeEvent(). */
  constructor(tracefs: string, type: ProbeType, group: string, name: string, id: number) {
    this.tracefs = tracefs;
    this.type = type;
    this.group = group;
    this.name = name;
    this.id = id;
    registry.register(this, { root: tracefs, type, group, name }, this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Removes the event (`-:group/name`). Idempotent; an event someone else already removed counts
   * as removed. While a perf event or BPF link still uses it this throws EBUSY and the event stays
   * open, so close() can be retried.
   */
  close(): void {
    if (this.#closed) return;
    try {
      removeEvent(this.tracefs, this.type, this.group, this.name);
    } catch (err) {
      if (!(err instanceof SyscallError && err.code === 'ENOENT')) throw err;
    }
    this.#closed = true;
    registry.unregister(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export interface NewEventArgs {
  root: string;
  type: ProbeType;
  group: string;
  name: string;
  /** `p`, `r` or `r<maxactive>`. */
  kind: string;
  token: string;
  /**
   * Kernels before 4.12 ignore the event name on `r<N>:` lines and create kprobes/r_<sym>_<off>
   * instead; that event is removed and NotSupportedError thrown.
   */
  ignoredNameFallback?: { group: string; name: string };
}

function contextFor(code: string, token: string, command: string): string {
  switch (code) {
    case 'ENOENT':
      return `token ${token}: not found`;
    case 'EILSEQ':
      return `token ${token}: bad insn boundary`;
    case 'ERANGE':
      return `token ${token}: offset too big`;
    default:
      return `token ${token}: writing '${command}'`;
  }
}

/** Creates one probe event: existence check, one write, ID read; nothing stays behind on error. */
export function newEvent(args: NewEventArgs): ProbeEvent {
  const { root, type, group, name, token } = args;
  removeStaleEventsOnce(root);

  // Kernels 4.x accept a duplicate silently (and 6.x append a second probe to an existing event),
  // so look first.
  const idPath = tracefsFile(root, 'events', group, name, 'id');
  let exists = false;
  try {
    readEventID(root, group, name);
    exists = true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EINVAL') {
      throw fromNodeError(err, `read(${idPath})`, { context: `trace event ${group}/${name}`, hint: 'unknown symbol?' });
    }
    if (code !== 'ENOENT') throw fromNodeError(err, `read(${idPath})`, { context: `checking trace event ${group}/${name}` });
  }
  if (exists) {
    throw new SyscallError(`read(${idPath})`, Errno.EEXIST!, { context: `trace event ${group}/${name}: file already exists` });
  }

  const command = `${args.kind}:${group}/${name} ${token}`;
  try {
    appendCommand(root, type, command, {
      context: `token ${token}: writing '${command}'`,
      hints: {
        EINVAL:
          type === 'kprobe'
            ? 'unknown symbol or offset?'
            : 'uprobes at one file offset must all have the same ref_ctr_offset (dmesg: "Reference counter offset mismatch")',
        EEXIST: 'an identical probe exists already',
      },
    });
  } catch (err) {
    if (err instanceof SyscallError) throw err.withContext(contextFor(err.code, token, command));
    throw err;
  }

  let id: number;
  try {
    id = readEventID(root, group, name);
  } catch (err) {
    const fallback = args.ignoredNameFallback;
    if (fallback && (err as { code?: string }).code === 'ENOENT') {
      try {
        removeEvent(root, type, fallback.group, fallback.name);
      } catch (removeErr) {
        throw new BpfError(`failed to remove spurious maxactive event: ${(removeErr as Error).message}`, { cause: removeErr });
      }
      throw new NotSupportedError('trace event with non-default maxactive', { minimumKernel: '4.12', cause: err });
    }
    try {
      removeEvent(root, type, group, name);
    } catch {
      // The event may not exist at all; the ID error below is what the caller needs.
    }
    const wrapped = fromNodeError(err, `read(${idPath})`, { context: 'get trace event id' });
    throw wrapped === err ? new BpfError(`get trace event id: ${(err as Error).message}`, { cause: err }) : wrapped;
  }
  return new ProbeEvent(root, type, group, name, id);
}
