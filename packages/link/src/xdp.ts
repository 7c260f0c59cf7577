import { RawLink } from './link.js';

/** An XDP program attached to a network interface through a bpf_link. */
export class XDPLink extends RawLink {
  protected override get label(): string {
    return 'XDP link';
  }
}
