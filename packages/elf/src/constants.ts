/** ELF class: 32- or 64-bit structures (`EI_CLASS`). */
export type ElfClass = 32 | 64;

/** Byte order of the file (`EI_DATA`). */
export type Endianness = 'little' | 'big';

/** `e_type`. */
export const ElfType = { None: 0, Rel: 1, Exec: 2, Dyn: 3, Core: 4 } as const;
export type ElfType = (typeof ElfType)[keyof typeof ElfType];

/** `e_machine` values bpfkit's users meet (any other number is passed through). */
export const ElfMachine = {
  None: 0,
  I386: 3,
  Mips: 8,
  PowerPC: 20,
  PowerPC64: 21,
  S390: 22,
  Arm: 40,
  X86_64: 62,
  AArch64: 183,
  RiscV: 243,
  Bpf: 247,
  LoongArch: 258,
} as const;
export type ElfMachine = (typeof ElfMachine)[keyof typeof ElfMachine];

/** `sh_type`. */
export const SectionType = {
  Null: 0,
  ProgBits: 1,
  SymTab: 2,
  StrTab: 3,
  Rela: 4,
  Hash: 5,
  Dynamic: 6,
  Note: 7,
  NoBits: 8,
  Rel: 9,
  DynSym: 11,
  InitArray: 14,
  FiniArray: 15,
  Group: 17,
  SymTabShndx: 18,
  GnuHash: 0x6ffffff6,
  GnuVerdef: 0x6ffffffd,
  GnuVerneed: 0x6ffffffe,
  GnuVersym: 0x6fffffff,
} as const;
export type SectionType = (typeof SectionType)[keyof typeof SectionType];

/** `sh_flags` bits. */
export const SectionFlags = { Write: 0x1, Alloc: 0x2, ExecInstr: 0x4, Compressed: 0x800 } as const;

/** `p_type`. */
export const SegmentType = {
  Null: 0,
  Load: 1,
  Dynamic: 2,
  Interp: 3,
  Note: 4,
  Phdr: 6,
  Tls: 7,
  GnuEhFrame: 0x6474e550,
  GnuStack: 0x6474e551,
  GnuRelro: 0x6474e552,
  GnuProperty: 0x6474e553,
} as const;
export type SegmentType = (typeof SegmentType)[keyof typeof SegmentType];

/** `p_flags` bits. */
export const SegmentFlags = { Execute: 0x1, Write: 0x2, Read: 0x4 } as const;

/** `ELF_ST_TYPE(st_info)`. */
export const SymbolType = {
  NoType: 0,
  Object: 1,
  Func: 2,
  Section: 3,
  File: 4,
  Common: 5,
  Tls: 6,
  GnuIfunc: 10,
} as const;
export type SymbolType = (typeof SymbolType)[keyof typeof SymbolType];

/** `ELF_ST_BIND(st_info)`. */
export const SymbolBinding = { Local: 0, Global: 1, Weak: 2, GnuUnique: 10 } as const;
export type SymbolBinding = (typeof SymbolBinding)[keyof typeof SymbolBinding];

/** Reserved `st_shndx` values. */
export const SpecialSection = { Undefined: 0, LoReserve: 0xff00, Abs: 0xfff1, Common: 0xfff2, XIndex: 0xffff } as const;
