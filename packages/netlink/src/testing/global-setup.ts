/**
 * vitest globalSetup of this package: removes what crashed earlier runs left, and after the run
 * fails it if any worker (all exited by then) left a device or netns pin behind — also a worker
 * that died before its own afterAll check could run.
 */
import { leftoversOfExitedProcesses, sweepStale } from './leftovers.js';

export default function setup(): () => void {
  if (process.getuid?.() !== 0) return () => undefined;
  sweepStale();
  return () => {
    const left = leftoversOfExitedProcesses();
    if (left.links.length === 0 && left.netns.length === 0) return;
    sweepStale();
    throw new Error(`the netlink tests left devices ${JSON.stringify(left.links)} and netns ${JSON.stringify(left.netns)} behind (now removed)`);
  };
}
