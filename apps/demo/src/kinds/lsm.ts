import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachLSM } from '@bpfkit/link';
import { counted, kind } from './kind.js';
import { mprotectCalls } from './mprotect.js';

const name = 'lsm';

export const lsm = kind({
  name,
  feature: name,
  needs: ['attachLSM'],
  hook: 'LSM hook file_mprotect (0: allowed); the demo grows a WebAssembly memory',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.LSM, attachType: AttachType.LSMMac, attachTo: 'file_mprotect' });
    return counted(env.own(`${name} link`, attachLSM({ program })), map);
  },
  trigger: () => mprotectCalls(2),
});
