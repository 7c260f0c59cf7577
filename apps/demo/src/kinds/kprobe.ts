import { ProgramType } from '@bpfkit/ebpf';
import { kprobe as attachKprobe, kretprobe as attachKretprobe } from '@bpfkit/link';
import { openFiles } from './file-opens.js';
import { counted, kind } from './kind.js';

/** kprobe and kretprobe rows: vfs_open, fired by the demo's own file opens. */
export function probeRow(name: 'kprobe' | 'kretprobe') {
  return kind({
    name,
    feature: name,
    needs: [name],
    hook: `${name === 'kprobe' ? 'entry' : 'return'} of the kernel's vfs_open; the demo opens /dev/null`,
    setup(env) {
      const map = env.counter(name);
      const program = env.counting(name, map, { type: ProgramType.Kprobe });
      return counted(env.own(`${name} link`, (name === 'kprobe' ? attachKprobe : attachKretprobe)('vfs_open', program)), map);
    },
    trigger: () => openFiles(2),
  });
}

export const kprobe = probeRow('kprobe');
