import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { feature, openExecutable } from '@bpfkit/link';
import { counted, kind, type Counted } from './kind.js';
import { buildUsdtTarget, USDT_NAME, USDT_PROVIDER } from './usdt-target.js';

const name = 'usdt';
const run = promisify(execFile);

export const usdt = kind<Counted & { target: string }>({
  name,
  feature: name,
  needs: ['openExecutable', 'Executable.usdt'],
  hook: `USDT probe ${USDT_PROVIDER}:${USDT_NAME} of a small C program the demo builds, run as a child`,
  setup(env) {
    const target = buildUsdtTarget(env.tempDir(name));
    const map = env.counter(name);
    // Where the kernel has uprobe_multi, USDT attaches through it, which needs the multi attach type.
    const multi = feature('usdt').mechanism === 'uprobe_multi';
    const program = env.counting(name, map, { type: ProgramType.Kprobe, ...(multi ? { attachType: AttachType.TraceUprobeMulti } : {}) });
    const exe = openExecutable(target);
    return { ...counted(env.own(`${name} link`, exe.usdt(USDT_PROVIDER, USDT_NAME, program)), map), target };
  },
  async trigger(state, env) {
    await run(state.target, ['2'], { signal: env.signal });
  },
});
