import { NotSupportedError } from '@bpfkit/errors';
import type * as sys from '@bpfkit/sys';
import { RawLink, type RawLinkInit } from './link.js';

/** A program attached to a perf event (kprobe, uprobe, tracepoint, software/hardware event) through a bpf_link. */
export class PerfEventLink extends RawLink {
  readonly #perfEvent: sys.FD | undefined;

  /** @internal */
  constructor(fd: sys.FD, init: RawLinkInit = {}, perfEvent?: sys.FD) {
    super(fd, { mechanism: 'perf_event+bpf_link', ...init });
    this.#perfEvent = perfEvent;
  }

  protected override get label(): string {
    return 'perf event link';
  }

  protected override get updatable(): boolean {
    return false;
  }

  /** A duplicate of the perf event fd (the caller closes it). Links opened from a pin, an ID or an fd have none. */
  perfEvent(): sys.FD {
    if (!this.#perfEvent || this.#perfEvent.closed) {
      throw new NotSupportedError('perf event of a link opened from a pin, an ID or an fd', { detail: 'only the process that attached it holds the perf event' });
    }
    return this.#perfEvent.dup();
  }

  override close(): void {
    super.close();
    this.#perfEvent?.close();
  }

  override async closeAsync(): Promise<void> {
    await super.closeAsync();
    await this.#perfEvent?.closeAsync();
  }
}
