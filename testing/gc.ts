import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** V8's gc(), available without starting node with --expose-gc. */
function exposedGc(): () => void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  return gc;
}

/**
 * Force full collections, letting finalizers run between them: until `done()` holds (at most
 * `maxRounds` rounds), or three rounds when no condition is given.
 */
export async function collectGarbage(done?: () => boolean, maxRounds = 100): Promise<void> {
  const collect = exposedGc();
  const rounds = done === undefined ? 3 : maxRounds;
  for (let i = 0; i < rounds && !done?.(); i++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
