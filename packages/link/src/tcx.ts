import { AttachType } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import { RawLink } from './link.js';
import { attachMprog, type MprogOptions } from './mprog.js';

/** A SchedCLS program attached to a TCX hook (ingress or egress) of an interface. */
export class TCXLink extends RawLink {
  protected override get label(): string {
    return 'TCX link';
  }
}

/** `attach` is AttachType.TCXIngress or AttachType.TCXEgress. */
export type TCXOptions = MprogOptions;

const TCX = { kind: 'tcx', label: 'TCX', hooks: { TCXIngress: AttachType.TCXIngress, TCXEgress: AttachType.TCXEgress }, probe: sys.haveTCX } as const;

/** Attach a SchedCLS program to an interface's TCX ingress or egress (kernel 6.6+), placed by `anchor`. */
export function attachTCX(opts: TCXOptions): TCXLink {
  return new TCXLink(attachMprog(TCX, opts));
}
