import { Errno, SyscallError } from '@bpfkit/errors';
import { asm } from '../asm.js';
import { Program } from '../program.js';
import { AttachType, ProgramType } from '../types.js';

let permitted: boolean | undefined;

/**
 * Whether this kernel lets fentry/fexit, LSM and freplace programs load: it loads a trivial fentry
 * program on bpf_fentry_test1 (there from 5.5 on, for exactly this). False when the kernel refuses
 * with EPERM (the development host blocks trampolines by policy); any other failure is thrown, so a
 * kernel that should load them cannot hide behind this.
 */
export function trampolinesPermitted(): boolean {
  if (permitted === undefined) {
    try {
      Program.load({
        type: ProgramType.Tracing, attachType: AttachType.TraceFEntry, attachTo: 'bpf_fentry_test1',
        instructions: [asm.mov64('r0', 0), asm.exit()], license: 'GPL',
      }).close();
      permitted = true;
    } catch (err) {
      if (!(err instanceof SyscallError) || err.errno !== Errno.EPERM) throw err;
      permitted = false;
    }
  }
  return permitted;
}
