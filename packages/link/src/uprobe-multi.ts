import { RawLink } from './link.js';

/** A Kprobe program attached to many locations in one file through one uprobe_multi link. */
export class UprobeMultiLink extends RawLink {
  protected override get label(): string {
    return 'uprobe_multi link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}
