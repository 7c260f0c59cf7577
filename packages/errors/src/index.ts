export { Errno, errnoDescription, errnoName, errnoNumber } from './errno.js';
export {
  BpfError,
  fromNodeError,
  InvalidArgumentError,
  isNotExist,
  isNotSupported,
  nodeErrno,
  NotSupportedError,
  SymbolNotFoundError,
  SyscallError,
} from './errors.js';
export type { NotSupportedErrorOptions, SyscallErrorOptions } from './errors.js';
