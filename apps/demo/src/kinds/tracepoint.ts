import { ProgramType } from '@bpfkit/ebpf';
import { tracepoint as attachTracepoint } from '@bpfkit/link';
import { openFiles } from './file-opens.js';
import { counted, kind } from './kind.js';

const name = 'tracepoint';

export const tracepoint = kind({
  name,
  feature: name,
  needs: ['tracepoint'],
  hook: 'syscalls/sys_enter_openat; the demo opens /dev/null',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.TracePoint });
    return counted(env.own(`${name} link`, attachTracepoint('syscalls', 'sys_enter_openat', program)), map);
  },
  trigger: () => openFiles(2),
});
