import { brandErrorClass, SymbolNotFoundError } from '@bpfkit/errors';

/**
 * The symbol exists in the file only as an import (undefined, `st_value == 0`): its code lives in
 * a shared library. Probe it by opening that library instead. Still a `SymbolNotFoundError`.
 */
export class ImportedSymbolError extends SymbolNotFoundError {
  /** The library named by the symbol's version requirement (`libc.so.6`), when the file says. */
  readonly library?: string;
  /** The file's DT_NEEDED libraries: one of them defines the symbol. */
  readonly needed: readonly string[];

  constructor(symbol: string, path: string, library: string | undefined, needed: readonly string[]) {
    const where = library
      ? `it is imported from ${library}`
      : needed.length > 0
        ? `it is imported from a shared library (one of ${needed.join(', ')})`
        : 'it is imported from a shared library';
    super(symbol, { path, detail: `${where}; open that library to probe it, or give an address` });
    if (library !== undefined) this.library = library;
    this.needed = needed;
  }
}

brandErrorClass(ImportedSymbolError, '@bpfkit/elf:ImportedSymbolError');
