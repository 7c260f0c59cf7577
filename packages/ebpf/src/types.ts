// One table of kernel values, in @bpfkit/sys, named with cilium/ebpf's Go identifiers. Each layer
// keeps one name: sys says ProgType (the kernel's bpf_prog_type), ebpf says ProgramType (cilium's).
export { AttachType, MapType, ProgType as ProgramType } from '@bpfkit/sys';
