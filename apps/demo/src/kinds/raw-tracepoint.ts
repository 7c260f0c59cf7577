import { ProgramType } from '@bpfkit/ebpf';
import { attachRawTracepoint } from '@bpfkit/link';
import { openFiles } from './file-opens.js';
import { counted, kind } from './kind.js';

const name = 'raw_tracepoint';

export const rawTracepoint = kind({
  name,
  feature: name,
  needs: ['attachRawTracepoint'],
  hook: 'raw tracepoint sys_enter (every syscall); the demo opens /dev/null',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.RawTracepoint });
    return counted(env.own(`${name} link`, attachRawTracepoint({ name: 'sys_enter', program })), map);
  },
  trigger: () => openFiles(2),
});
