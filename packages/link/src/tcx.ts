import { RawLink } from './link.js';

/** A SchedCLS program attached to a TCX hook (ingress or egress) of an interface. */
export class TCXLink extends RawLink {
  protected override get label(): string {
    return 'TCX link';
  }
}
