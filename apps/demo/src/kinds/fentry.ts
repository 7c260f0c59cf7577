import { AttachType, ProgramType } from '@bpfkit/ebpf';
import { attachTracing } from '@bpfkit/link';
import { openFiles } from './file-opens.js';
import { counted, kind } from './kind.js';

type TracingKind = 'fentry' | 'fexit' | 'fmod_ret' | 'tp_btf';

const TARGET: Record<TracingKind, { attachType: AttachType; attachTo: string; hook: string }> = {
  fentry: { attachType: AttachType.TraceFEntry, attachTo: 'vfs_open', hook: "entry of the kernel's vfs_open (BPF trampoline)" },
  fexit: { attachType: AttachType.TraceFExit, attachTo: 'vfs_open', hook: "return of the kernel's vfs_open (BPF trampoline)" },
  // Returning 0 leaves the result of security_file_open as it is.
  fmod_ret: { attachType: AttachType.ModifyReturn, attachTo: 'security_file_open', hook: 'security_file_open, return left unchanged' },
  tp_btf: { attachType: AttachType.TraceRawTp, attachTo: 'sys_enter', hook: 'BTF tracepoint sys_enter' },
};

/** The attachTracing rows, all fired by the demo's file opens. */
export function tracingRow(name: TracingKind) {
  const target = TARGET[name];
  return kind({
    name,
    feature: name,
    needs: ['attachTracing'],
    hook: `${target.hook}; the demo opens /dev/null`,
    setup(env) {
      const map = env.counter(name);
      const program = env.counting(name, map, { type: ProgramType.Tracing, attachType: target.attachType, attachTo: target.attachTo });
      return counted(env.own(`${name} link`, attachTracing({ program })), map);
    },
    trigger: () => openFiles(2),
  });
}

export const fentry = tracingRow('fentry');
