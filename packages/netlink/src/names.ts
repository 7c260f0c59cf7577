/** Input checks that run before any system call: interface names, indexes, netns names. */
import { InvalidArgumentError } from '@bpfkit/errors';
import { IFNAMSIZ, Ifla } from './constants.js';
import { type Attr, attrString } from './message.js';

/** An interface by name (`'eth0'`) or by index (`2`). */
export type InterfaceRef = string | number;

/** @deprecated The old name of InterfaceRef. */
export type LinkRef = InterfaceRef;

/** The kernel's dev_valid_name(): 1 to 15 bytes, not `.` or `..`, no `/`, `:` or whitespace. */
export function checkIfname(name: unknown, argument: string): string {
  if (typeof name !== 'string') throw new InvalidArgumentError(argument, `interface name must be a string, got ${typeof name}`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) throw new InvalidArgumentError(argument, 'interface name is empty');
  if (bytes > IFNAMSIZ - 1) {
    throw new InvalidArgumentError(argument, `interface name ${JSON.stringify(name)} is ${bytes} bytes; the kernel allows at most ${IFNAMSIZ - 1} (IFNAMSIZ - 1)`);
  }
  if (name === '.' || name === '..' || /[/:\s\0]/.test(name)) {
    throw new InvalidArgumentError(argument, `interface name ${JSON.stringify(name)} may not be "." or ".." nor contain "/", ":", NUL or whitespace`);
  }
  return name;
}

export function checkIfindex(index: unknown, argument: string): number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 1 || index > 0x7fffffff) {
    throw new InvalidArgumentError(argument, `interface index must be an integer from 1 to 2147483647, got ${String(index)}`);
  }
  return index;
}

/** A validated reference: the ifinfomsg index and the attributes that name the link. */
export interface ResolvedLink {
  index: number;
  attrs: Attr[];
  /** For messages: `'eth0'` or `'ifindex 2'`. */
  label: string;
}

export function resolveLink(ref: unknown, argument = 'link'): ResolvedLink {
  if (typeof ref === 'number') {
    const index = checkIfindex(ref, argument);
    return { index, attrs: [], label: `ifindex ${index}` };
  }
  if (typeof ref === 'string') {
    const name = checkIfname(ref, argument);
    return { index: 0, attrs: [attrString(Ifla.IFNAME, name)], label: name };
  }
  throw new InvalidArgumentError(argument, `must be an interface name (string) or index (number), got ${ref === null ? 'null' : typeof ref}`);
}

/** A name under /run/netns: a single path component, like `ip netns add` accepts. */
export function checkNetnsName(name: unknown, argument = 'name'): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(argument, 'netns name must be a non-empty string');
  if (name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new InvalidArgumentError(argument, `netns name ${JSON.stringify(name)} must be one path component (no "/", not "." or "..")`);
  }
  if (Buffer.byteLength(name, 'utf8') > 255) throw new InvalidArgumentError(argument, 'netns name is longer than 255 bytes (NAME_MAX)');
  return name;
}
