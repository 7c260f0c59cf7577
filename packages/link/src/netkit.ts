import { RawLink } from './link.js';

/** A SchedCLS program attached to the primary or peer side of a netkit device. */
export class NetkitLink extends RawLink {
  protected override get label(): string {
    return 'netkit link';
  }
}
