import { RawLink } from './link.js';

/** A RawTracepoint program (or a tracing program attached through BPF_RAW_TRACEPOINT_OPEN). */
export class RawTracepointLink extends RawLink {
  protected override get label(): string {
    return 'raw tracepoint link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}
