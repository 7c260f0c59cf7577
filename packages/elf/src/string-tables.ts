import { safeNumber } from './header.js';
import { malformed } from './malformed.js';
import { type ElfSection, readString, sectionBytes } from './sections.js';
import type { ByteSource } from './source.js';

/**
 * The string tables sections link to, read once each: .dynstr serves .dynsym, .dynamic and the
 * version sections alike.
 */
export class StringTables {
  readonly #src: ByteSource;
  readonly #sections: () => readonly ElfSection[];
  /** By section index. */
  readonly #loaded = new Map<number, Buffer>();

  constructor(src: ByteSource, sections: () => readonly ElfSection[]) {
    this.#src = src;
    this.#sections = sections;
  }

  /** The table `sec` links to, if it was read already. */
  loaded(sec: ElfSection): Buffer | undefined {
    return this.#loaded.get(sec.link);
  }

  linkedSection(sec: ElfSection, what: string): ElfSection {
    const str = this.#sections()[sec.link];
    if (!str || sec.link === 0) {
      throw malformed(this.#src.name, `${what} (section ${sec.index}) links to string table ${sec.link}, which does not exist`);
    }
    return str;
  }

  /** The string table a section links to (read once, shared by every section that links to it). */
  linkedStrings(sec: ElfSection, what: string): Buffer {
    const cached = this.#loaded.get(sec.link);
    if (cached) return cached;
    const data = sectionBytes(this.#src, this.linkedSection(sec, what), `${what} string table`);
    this.#loaded.set(sec.link, data);
    return data;
  }

  /**
   * One string of the table `sec` links to: from the table if it is loaded, else by small reads,
   * so that reading a few version names does not load a 5 MB .dynstr.
   */
  stringAt(sec: ElfSection, offset: number, what: string): string {
    const loaded = this.#loaded.get(sec.link);
    if (loaded) return readString(this.#src, loaded, offset, what);
    const str = this.linkedSection(sec, what);
    const size = safeNumber(this.#src, str.size, `${what} string table size`);
    if (offset >= size) {
      throw malformed(this.#src.name, `${what}: string index ${offset} outside its string table (${size} bytes)`);
    }
    const start = safeNumber(this.#src, str.offset, `${what} string table offset`) + offset;
    // Grows geometrically to the end of the table, so the loop ends after a few reads.
    for (let chunk = 64; ; chunk *= 4) {
      const len = Math.min(chunk, size - offset);
      const bytes = this.#src.read(start, len, `${what} string`);
      const end = bytes.indexOf(0);
      if (end >= 0) return bytes.toString('utf8', 0, end);
      if (len === size - offset) throw malformed(this.#src.name, `${what}: string at index ${offset} is not NUL-terminated`);
    }
  }
}
