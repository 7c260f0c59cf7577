import { RawLink } from './link.js';

/** A Netfilter program attached to a netfilter hook. */
export class NetfilterLink extends RawLink {
  protected override get label(): string {
    return 'netfilter link';
  }

  protected override get updatable(): boolean {
    return false;
  }
}
