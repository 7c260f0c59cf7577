import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { kprobeMulti as attachKprobeMulti, kretprobeMulti as attachKretprobeMulti } from '@bpfkit/link';
import { openFiles } from './file-opens.js';
import { counted, kind } from './kind.js';

type MultiKind = 'kprobe_multi' | 'kretprobe_multi' | 'kprobe_session';
const FUNCTION: Record<MultiKind, string> = { kprobe_multi: 'kprobeMulti', kretprobe_multi: 'kretprobeMulti', kprobe_session: 'kprobeMulti' };

/** The fprobe-based rows: vfs_open (and, for the session, its return too), fired by file opens. */
export function multiRow(name: MultiKind) {
  return kind({
    name,
    feature: name,
    needs: [FUNCTION[name]],
    hook: `vfs_open through one ${name} link; the demo opens /dev/null`,
    setup(env) {
      const map = env.counter(name);
      const attachType = name === 'kprobe_session' ? AttachType.TraceKprobeSession : AttachType.TraceKprobeMulti;
      const program = env.counting(name, map, { type: ProgramType.Kprobe, attachType });
      const attach = name === 'kretprobe_multi' ? attachKretprobeMulti : attachKprobeMulti;
      const link = attach(program, { symbols: ['vfs_open'], ...(name === 'kprobe_session' ? { session: true } : {}) });
      return counted(env.own(`${name} link`, link), map);
    },
    trigger: () => openFiles(2),
  });
}

export const kprobeMulti = multiRow('kprobe_multi');
