import { readFileSync } from 'node:fs';
import { fromNodeError } from '@bpfkit/errors';

const KALLSYMS = '/proc/kallsyms';

export interface KernelSymbol {
  address: bigint;
  /** Up to the next symbol's address; undefined for the last one. */
  size?: bigint;
}

/**
 * Where `name` is in /proc/kallsyms and how big it is. undefined when there is no such symbol;
 * null when the addresses are hidden (kptr_restrict), so nothing can be said about sizes.
 */
export function kernelSymbol(name: string): KernelSymbol | null | undefined {
  let text: string;
  try {
    text = readFileSync(KALLSYMS, 'latin1');
  } catch (err) {
    throw fromNodeError(err, `read(${KALLSYMS})`, { context: `looking up kernel symbol ${name}` });
  }
  const needle = ` ${name}`;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const end = at + needle.length;
    const after = text.charCodeAt(end);
    // The name ends the line or is followed by "\t[module]"; the line starts "<address> <type>".
    if (after !== 10 && after !== 9 && !Number.isNaN(after)) continue;
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const [addr, type] = text.slice(lineStart, at).split(' ');
    if (!addr || type?.length !== 1) continue;
    const address = BigInt(`0x${addr}`);
    if (address === 0n) return null;
    let size: bigint | undefined;
    for (let next = text.indexOf('\n', end) + 1; next > 0 && next < text.length; next = text.indexOf('\n', next) + 1) {
      const nextAddress = BigInt(`0x${text.slice(next, text.indexOf(' ', next))}`);
      if (nextAddress > address) {
        size = nextAddress - address;
        break;
      }
    }
    return size === undefined ? { address } : { address, size };
  }
  return undefined;
}
