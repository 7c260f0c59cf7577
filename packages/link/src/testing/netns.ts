import { readdirSync } from 'node:fs';
import { createNetns, deleteNetns, setUp, withNetns, type Netns } from '@bpfkit/netlink';

const NETNS_RUN_DIR = '/run/netns';

/** A fresh network namespace with its loopback up; `remove()` deletes it. */
export function createTestNetns(): Netns & { remove(): void } {
  const ns = createNetns();
  try {
    withNetns(ns, () => setUp('lo'));
  } catch (err) {
    deleteNetns(ns);
    throw err;
  }
  return Object.assign(ns, { remove: () => deleteNetns(ns) });
}

/** Namespaces this process pinned under /run/netns (createNetns names them bpfkit-<pid>-<n>). */
export function netnsOfThisProcess(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR).filter((n) => n.startsWith(`bpfkit-${process.pid}-`));
  } catch {
    return [];
  }
}
