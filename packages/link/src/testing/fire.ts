import { closeSync, openSync } from 'node:fs';
import * as sys from '@bpfkit/sys';

/** `n` getpid(2) calls: fires sys_enter_getpid, sys_enter and kprobes on the getpid syscall. */
export function getpids(n: number): void {
  for (let i = 0; i < n; i++) sys.getpid();
}

/** `n` open(2)+close(2) pairs: fires do_sys_openat2. */
export function opens(n: number): void {
  for (let i = 0; i < n; i++) closeSync(openSync('/proc/self/stat', 'r'));
}

