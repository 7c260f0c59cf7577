import { closeSync, openSync } from 'node:fs';

/** The file-open trigger: `count` open(2)+close(2) pairs of /dev/null on this thread. */
export function openFiles(count: number): void {
  for (let i = 0; i < count; i++) closeSync(openSync('/dev/null', 'r'));
}
