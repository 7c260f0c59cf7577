import * as sys from '@bpfkit/sys';
import { withMemlock } from './memlock.js';

/**
 * The kernel calls the program loader makes. Injectable so the attr the loader builds can be
 * checked byte for byte without a kernel; the default is @bpfkit/sys.
 */
export interface LoaderSyscalls {
  progLoad(opts: sys.ProgLoadOptions): sys.FD;
  btfLoad(opts: { btf: Uint8Array; logBuf?: Uint8Array; logLevel?: number }): sys.FD;
  btfGetFdById(id: number): sys.FD;
  btfGetNextId(start: number): number | undefined;
  btfInfo(fd: number): sys.BtfInfo;
  progInfo(fd: number): sys.ProgInfo;
}

export const kernelSyscalls: LoaderSyscalls = {
  progLoad: (opts) => withMemlock(() => sys.progLoad(opts)),
  btfLoad: (opts) => withMemlock(() => sys.btfLoad(opts)),
  btfGetFdById: sys.btfGetFdById,
  btfGetNextId: sys.btfGetNextId,
  btfInfo: sys.btfInfo,
  progInfo: sys.progInfo,
};
