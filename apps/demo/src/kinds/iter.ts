import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachIter, type Iter } from '@bpfkit/link';
import { kind, type Counted } from './kind.js';

const name = 'iter';

export const iter = kind<Counted & { link: Iter }>({
  name,
  feature: 'iter',
  needs: ['attachIter'],
  hook: 'bpf_map iterator; each read walks every map of the system',
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.Tracing, attachType: AttachType.TraceIter, attachTo: 'bpf_map' });
    const link = env.own(`${name} link`, attachIter({ program }));
    return { link, map, mechanism: link.mechanism };
  },
  trigger(state) {
    state.link.open().readAll();
  },
});
