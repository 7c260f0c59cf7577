import { RawLink } from './link.js';

/** A struct_ops map registered with the kernel through a bpf_link. */
export class StructOpsLink extends RawLink {
  protected override get label(): string {
    return 'struct_ops link';
  }
}
