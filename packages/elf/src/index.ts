export { asFileOffset, asVirtualAddress } from './address.js';
export type { FileOffset, FileOffsetInput, VirtualAddress, VirtualAddressInput } from './address.js';
export {
  ElfMachine,
  ElfType,
  SectionFlags,
  SectionType,
  SegmentFlags,
  SegmentType,
  SpecialSection,
  SymbolBinding,
  SymbolType,
} from './constants.js';
export type { ElfClass, Endianness } from './constants.js';
export { DynamicTag } from './dynamic.js';
export type { DynamicInfo } from './dynamic.js';
export { ElfFile } from './elf-file.js';
export type { DebugLink, SymbolAtResult } from './elf-file.js';
export { ElfSymbol } from './symbol.js';
export type { ForEachSymbolOptions, SymbolCursor, SymbolTableChoice } from './symbol-cursor.js';
export { ImportedSymbolError } from './imported-symbol-error.js';
export type { ElfNote } from './notes.js';
export type { ElfSection } from './sections.js';
export type { ElfProgramHeader } from './segments.js';
export { parseUsdtArguments } from './usdt.js';
export type { UsdtArgument, UsdtProbe } from './usdt.js';
export type { SymbolVersion } from './versions.js';
export { parseLdSoCache } from './ld-so-cache.js';
export type { LdSoCacheEntry } from './ld-so-cache.js';
export { resolveLibrary } from './library.js';
export type { ResolveLibraryOptions } from './library.js';
export { mappedPath, processMaps } from './proc-maps.js';
export type { MappedFile } from './proc-maps.js';
export {
  BpfError,
  InvalidArgumentError,
  isNotExist,
  isNotSupported,
  NotSupportedError,
  SymbolNotFoundError,
  SyscallError,
} from '@bpfkit/errors';
