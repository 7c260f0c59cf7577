export { asm, encode } from './asm.js';
export type { AsmItem, FdSource, Instruction, Label, Register, Size } from './asm.js';
export { counterProgram } from './counter.js';
export type { CounterProgramOptions } from './counter.js';
export { Helper } from './helper.js';
export { argumentFd, FdObject, openByID, openPinnedAs, wrapForeignFd } from './fd-object.js';
export { OBJECT_LABEL } from './object.js';
export type { PinnedOptions } from './object.js';
export { BpfMap, Map, MapUpdateFlags, possibleCPUs } from './map.js';
export type { MapCreateOptions, MapInfo } from './map.js';
export { Program } from './program.js';
export { structOpsValue } from './struct-ops.js';
export type { StructOpsProgramRef, StructOpsValueOptions } from './struct-ops.js';
export type { ProgramBTF, ProgramInfo, ProgramLoadOptions, TestRunOptions, TestRunResult } from './program.js';
export { AttachType, MapType, ProgramType } from './types.js';
export { usdtArgument } from './usdt-args.js';
export type { UsdtArch, UsdtArgumentOptions, UsdtArgumentSpec } from './usdt-args.js';
export { MapFlags } from '@bpfkit/sys';
export { VerifierError } from './verifier-error.js';
export {
  BpfError,
  InvalidArgumentError,
  isNotExist,
  isNotSupported,
  NotSupportedError,
  SymbolNotFoundError,
  SyscallError,
} from '@bpfkit/errors';
export { loadCollectionSpec, VariableSpec } from './collection-spec.js';
export type { CollectionSpec, CoreRelocation, LineInfo, MapSpec, ProgramSpec, Reference } from './collection-spec.js';
export { Collection, loadCollection, programSpec, Variable } from './collection.js';
export type { CollectionOptions } from './collection.js';
export { PinType } from './map-spec.js';
export { sectionKind, SECTION_PATTERNS } from './elf-sections.js';
export type { SectionKind } from './elf-sections.js';
export { RingBuffer } from './ringbuf.js';
export { PerfReader } from './perf-reader.js';
export type { PerfReaderOptions, PerfRecord } from './perf-reader.js';
