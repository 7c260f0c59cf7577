import { RawLink } from './link.js';

/** An fentry/fexit/fmod_ret/tp_btf, LSM or freplace program attached through a tracing link. */
export class TracingLink extends RawLink {
  protected override get label(): string {
    return 'tracing link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}
