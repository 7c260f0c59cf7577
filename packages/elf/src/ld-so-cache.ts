import { malformed } from './malformed.js';

/** One entry of `/etc/ld.so.cache`. */
export interface LdSoCacheEntry {
  /** The soname, e.g. `libc.so.6`. */
  readonly name: string;
  /** The file it resolves to. */
  readonly path: string;
  /** ldconfig's flags: bits 0-7 the library type, bits 8-15 the ABI (0x0300 = x86-64, 0x0a00 = AArch64). */
  readonly flags: number;
}

const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_HEADER = 48;
const NEW_ENTRY = 24;
const OLD_ENTRY = 12;

/**
 * Parses glibc's `ld.so.cache` ("glibc-ld.so.cache1.1", alone or after the old "ld.so-1.7.0"
 * table). String offsets are relative to the new header; every one is bounds-checked.
 */
export function parseLdSoCache(buf: Buffer, name = '/etc/ld.so.cache'): LdSoCacheEntry[] {
  let base = 0;
  if (buf.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    if (buf.length < 16) throw malformed(name, 'truncated old-format header');
    const oldCount = buf.readUInt32LE(12);
    base = Math.ceil((16 + oldCount * OLD_ENTRY) / 8) * 8;
  }
  if (base + NEW_HEADER > buf.length || buf.toString('latin1', base, base + NEW_MAGIC.length) !== NEW_MAGIC) {
    throw malformed(name, `no "${NEW_MAGIC}" header at offset ${base}`);
  }
  const le = buf[base + 28] !== 3; // 2 = little endian, 3 = big endian, 0 = written before the field existed
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const count = u32(base + 20);
  if (count * NEW_ENTRY > buf.length - base - NEW_HEADER) throw malformed(name, `${count} entries do not fit in ${buf.length} bytes`);
  const str = (off: number, what: string) => {
    const at = base + off;
    const end = at < buf.length ? buf.indexOf(0, at) : -1;
    if (end < 0) throw malformed(name, `${what}: string offset ${off} is outside the file or unterminated`);
    return buf.toString('utf8', at, end);
  };
  const out: LdSoCacheEntry[] = [];
  for (let i = 0; i < count; i++) {
    const e = base + NEW_HEADER + i * NEW_ENTRY;
    out.push({ flags: u32(e), name: str(u32(e + 4), `entry ${i} key`), path: str(u32(e + 8), `entry ${i} value`) });
  }
  return out;
}
