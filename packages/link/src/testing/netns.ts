import { createNetns, deleteNetns, setUp, withNetns, type Netns } from '@bpfkit/netlink';

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
