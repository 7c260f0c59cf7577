export { Errno, errnoDescription, errnoName, errnoNumber } from './errno.js';
export {
  BpfError,
  brandErrorClass,
  closedError,
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
