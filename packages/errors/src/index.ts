export { Errno, errnoDescription, errnoName, errnoNumber } from './errno.js';
export {
  BpfError,
  InvalidArgumentError,
  isNotExist,
  isNotSupported,
  NotSupportedError,
  SymbolNotFoundError,
  SyscallError,
} from './errors.js';
export type { NotSupportedErrorOptions, SyscallErrorOptions } from './errors.js';
