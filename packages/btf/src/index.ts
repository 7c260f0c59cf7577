export { Kind, KIND_NAMES, Linkage, kindName } from './kind.js';
export type { KindLike, KindName } from './kind.js';
export { Spec, BTF_MAGIC, BTF_HEADER_SIZE } from './spec.js';
export type { ParseOptions } from './spec.js';
export { BtfBuilder } from './builder.js';
export type { IntOptions, MemberSpec } from './builder.js';
export { findKernelType, kernelModulesWithBTF, loadKernelBTF, loadModuleBTF, KERNEL_BTF_DIR } from './kernel.js';
export type { KernelType } from './kernel.js';
export type * from './types.js';
export {
  BpfError,
  InvalidArgumentError,
  isNotExist,
  isNotSupported,
  NotSupportedError,
  SymbolNotFoundError,
  SyscallError,
} from '@bpfkit/errors';
