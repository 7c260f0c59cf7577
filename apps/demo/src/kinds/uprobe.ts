import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { openExecutable } from '@bpfkit/link';
import { counted, kind } from './kind.js';

type UprobeKind = 'uprobe' | 'uretprobe' | 'uprobe_multi' | 'uretprobe_multi';
const METHOD = { uprobe: 'uprobe', uretprobe: 'uretprobe', uprobe_multi: 'uprobeMulti', uretprobe_multi: 'uretprobeMulti' } as const;
/** libuv's uv_loadavg, inside the node binary: what os.loadavg() calls. */
const SYMBOL = 'uv_loadavg';

/** The uprobe rows: uv_loadavg in the node binary, for the trigger child's pid only. */
export function uprobeRow(name: UprobeKind) {
  return kind({
    name,
    feature: name,
    needs: ['openExecutable', `Executable.${METHOD[name]}`],
    hook: `${SYMBOL} in ${process.execPath}, for the trigger child only; it calls os.loadavg()`,
    setup(env) {
      const map = env.counter(name);
      const multi = name.endsWith('_multi');
      const program = env.counting(name, map, { type: ProgramType.Kprobe, ...(multi ? { attachType: AttachType.TraceUprobeMulti } : {}) });
      const exe = openExecutable(process.execPath);
      const pid = env.child().pid;
      const method = METHOD[name];
      const link = method === 'uprobe' || method === 'uretprobe' ? exe[method](SYMBOL, program, { pid }) : exe[method]([SYMBOL], program, { pid });
      return counted(env.own(`${name} link`, link), map);
    },
    async trigger(_state, env) {
      await env.child().request({ op: 'loadavg', count: 2 });
    },
  });
}

export const uprobe = uprobeRow('uprobe');
