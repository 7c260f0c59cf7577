import { AttachType } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import { RawLink } from './link.js';
import { attachMprog, type MprogOptions } from './mprog.js';

/** A SchedCLS program attached to the primary or peer side of a netkit device. */
export class NetkitLink extends RawLink {
  protected override get label(): string {
    return 'netkit link';
  }
}

/**
 * `interface` is the primary device of a netkit pair, for both hooks; `attach` is
 * AttachType.NetkitPrimary (packets the primary sends) or AttachType.NetkitPeer (packets the peer sends).
 */
export type NetkitOptions = MprogOptions;

const NETKIT = { kind: 'netkit', label: 'netkit', hooks: { NetkitPrimary: AttachType.NetkitPrimary, NetkitPeer: AttachType.NetkitPeer }, probe: sys.haveNetkit } as const;

/** Attach a SchedCLS program to a netkit device (kernel 6.7+, CONFIG_NETKIT), placed by `anchor`. */
export function attachNetkit(opts: NetkitOptions): NetkitLink {
  return new NetkitLink(attachMprog(NETKIT, opts));
}
