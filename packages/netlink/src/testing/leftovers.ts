/**
 * Test helpers: names unique to this process, what this process left behind, and removal of what
 * crashed earlier runs left (their pid is in the name and no longer alive).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { deleteLink, links } from '../link.js';
import { deleteNetns, NETNS_RUN_DIR } from '../netns.js';

const pid36 = process.pid.toString(36);
let names = 0;

/** An interface name unique to this process and test run, within IFNAMSIZ: `bk-<pid36>-t<n>`. */
export function testIfname(): string {
  return `bk-${pid36}-t${(++names).toString(36)}`;
}

/** A netns name unique to this process: `bpfkit-<pid>-t<n>`. */
export function testNetnsName(): string {
  return `bpfkit-${process.pid}-t${++names}`;
}

const ownLink = new RegExp(`^bk-${pid36}-`);
const ownNetns = new RegExp(`^bpfkit-${process.pid}-`);

/** Devices (as `ip` sees them) and netns pins (as `ip netns list` sees them) made by this process. */
export function ownLeftovers(): { links: string[]; netns: string[] } {
  const ipLinks = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[];
  const ipNetns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
  return { links: ipLinks.map((l) => l.ifname).filter((n) => ownLink.test(n)), netns: ipNetns.filter((n) => ownNetns.test(n)) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Devices and netns pins named after a process that has exited. */
export function leftoversOfExitedProcesses(): { links: string[]; netns: string[] } {
  const deadLink = (name: string) => {
    const m = /^bk-([0-9a-z]+)-/.exec(name);
    return m !== null && !alive(parseInt(m[1]!, 36));
  };
  const deadNetns = (name: string) => {
    const m = /^bpfkit-(\d+)-/.exec(name);
    return m !== null && !alive(Number(m[1]));
  };
  return {
    links: links().map((l) => l.name).filter(deadLink),
    netns: existsSync(NETNS_RUN_DIR) ? readdirSync(NETNS_RUN_DIR).filter(deadNetns) : [],
  };
}

/** Removes devices and netns pins whose creator (pid in the name) has exited: a crashed earlier run. */
export function sweepStale(): void {
  const stale = leftoversOfExitedProcesses();
  for (const name of stale.links) {
    try {
      deleteLink(name);
    } catch (err) {
      // The other end of a pair deleted a moment ago.
      if ((err as { code?: string }).code !== 'ENODEV') throw err;
    }
  }
  for (const name of stale.netns) deleteNetns(name);
}
