import { pending } from './pending.js';

export const freplace = pending('freplace', 'freplace', ['attachFreplace'], 'a global function of a demo program, run with BPF_PROG_TEST_RUN');
