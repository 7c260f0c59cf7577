import { RawLink } from './link.js';

/** A Kprobe program attached to many kernel functions through one kprobe_multi link. */
export class KprobeMultiLink extends RawLink {
  protected override get label(): string {
    return 'kprobe_multi link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}
