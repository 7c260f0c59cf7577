import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@bpfkit/errors';
import { sectionKind } from './elf-sections.js';
import { AttachType, ProgramType } from './types.js';

describe('sectionKind', () => {
  it.each([
    ['kprobe/do_sys_openat2', ProgramType.Kprobe, AttachType.None, 'do_sys_openat2', 0],
    ['kretprobe/do_sys_openat2', ProgramType.Kprobe, AttachType.None, 'do_sys_openat2', 0],
    ['kprobe.multi/vfs_*', ProgramType.Kprobe, AttachType.TraceKprobeMulti, 'vfs_*', 0],
    ['uprobe//bin/bash:readline', ProgramType.Kprobe, AttachType.None, '/bin/bash:readline', 0],
    ['uretprobe.s//usr/lib/libc.so.6:malloc', ProgramType.Kprobe, AttachType.None, '/usr/lib/libc.so.6:malloc', 16],
    ['uprobe.multi//bin/true:main', ProgramType.Kprobe, AttachType.TraceUprobeMulti, '/bin/true:main', 0],
    ['usdt/libc.so.6:libc:setjmp', ProgramType.Kprobe, AttachType.None, 'libc.so.6:libc:setjmp', 0],
    ['tracepoint/syscalls/sys_enter_openat', ProgramType.TracePoint, AttachType.None, 'syscalls/sys_enter_openat', 0],
    ['tp/sched/sched_switch', ProgramType.TracePoint, AttachType.None, 'sched/sched_switch', 0],
    ['raw_tp/sys_enter', ProgramType.RawTracepoint, AttachType.None, 'sys_enter', 0],
    ['tp_btf/sched_switch', ProgramType.Tracing, AttachType.TraceRawTp, 'sched_switch', 0],
    ['fentry/do_unlinkat', ProgramType.Tracing, AttachType.TraceFEntry, 'do_unlinkat', 0],
    ['fexit.s/do_unlinkat', ProgramType.Tracing, AttachType.TraceFExit, 'do_unlinkat', 16],
    ['fmod_ret/security_file_open', ProgramType.Tracing, AttachType.ModifyReturn, 'security_file_open', 0],
    ['lsm/file_open', ProgramType.LSM, AttachType.LSMMac, 'file_open', 0],
    ['iter/task', ProgramType.Tracing, AttachType.TraceIter, 'task', 0],
    ['freplace/handler', ProgramType.Extension, AttachType.None, 'handler', 0],
    ['xdp', ProgramType.XDP, AttachType.XDP, '', 0],
    ['xdp.frags', ProgramType.XDP, AttachType.XDP, '', 32],
    ['xdp/devmap', ProgramType.XDP, AttachType.XDPDevMap, '', 0],
    ['tc', ProgramType.SchedCLS, AttachType.None, '', 0],
    ['tcx/ingress', ProgramType.SchedCLS, AttachType.TCXIngress, '', 0],
    ['tcx/egress', ProgramType.SchedCLS, AttachType.TCXEgress, '', 0],
    ['netkit/primary', ProgramType.SchedCLS, AttachType.NetkitPrimary, '', 0],
    ['cgroup_skb/egress', ProgramType.CGroupSKB, AttachType.CGroupInetEgress, '', 0],
    ['cgroup/connect4', ProgramType.CGroupSockAddr, AttachType.CGroupInet4Connect, '', 0],
    ['cgroup/sock_release', ProgramType.CGroupSock, AttachType.CgroupInetSockRelease, '', 0],
    ['cgroup/sock', ProgramType.CGroupSock, AttachType.CGroupInetSockCreate, '', 0],
    ['cgroup/getsockopt', ProgramType.CGroupSockopt, AttachType.CGroupGetsockopt, '', 0],
    ['sk_lookup', ProgramType.SkLookup, AttachType.SkLookup, '', 0],
    ['flow_dissector', ProgramType.FlowDissector, AttachType.FlowDissector, '', 0],
    ['netfilter', ProgramType.Netfilter, AttachType.Netfilter, '', 0],
    ['socket', ProgramType.SocketFilter, AttachType.None, '', 0],
    ['socket/anything', ProgramType.SocketFilter, AttachType.None, 'anything', 0],
    ['perf_event', ProgramType.PerfEvent, AttachType.None, '', 0],
    ['struct_ops/dctcp_init', ProgramType.StructOps, AttachType.None, 'dctcp_init', 0],
    ['syscall', ProgramType.Syscall, AttachType.None, '', 16],
  ])('%s', (section, type, attach, target, flags) => {
    expect(sectionKind(section)).toMatchObject({ programType: type, attachType: attach, target, flags });
  });

  it('names a section that follows no convention', () => {
    for (const bad of ['kprobe_typo/x', 'xdpfoo', 'tracepoints/a/b', '', 'TC']) {
      expect(() => sectionKind(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => sectionKind('kprobe_typo/x')).toThrow(/"kprobe_typo\/x" is not a known program section/);
  });
});
