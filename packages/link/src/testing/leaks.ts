import { iterateLinks } from '../iterator.js';
import { listEvents, type ListedEvent } from '@bpfkit/tracefs';

/** IDs of every link in the system right now. */
export function linkIds(): Set<number> {
  const ids = new Set<number>();
  for (const link of iterateLinks()) {
    ids.add(link.info().id);
    link.close();
  }
  return ids;
}

/** IDs of links attaching one of `programIds`: what a test may have left behind. */
export function linksOfPrograms(programIds: Iterable<number>): number[] {
  const progs = new Set(programIds);
  const out: number[] = [];
  for (const link of iterateLinks()) {
    const info = link.info();
    if (progs.has(info.program)) out.push(info.id);
    link.close();
  }
  return out;
}

/** kprobe/uprobe events in tracefs whose group names this process as the owner (any prefix). */
export function tracefsEventsOfThisProcess(): string[] {
  let events: ListedEvent[];
  try {
    events = listEvents();
  } catch {
    return []; // no tracefs mounted: nothing can be left there
  }
  const pid = String(process.pid);
  return events.filter((e) => /_(\d+)_[0-9a-f]+_[0-9a-f]+_[0-9a-f]{8}$/.exec(e.group)?.[1] === pid).map((e) => `${e.type} ${e.group}/${e.name}`);
}
