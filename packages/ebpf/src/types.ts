// One table of kernel values, in @bpfkit/sys, named with cilium/ebpf's Go identifiers.
export { AttachType, MapType, ProgType as ProgramType } from '@bpfkit/sys';
