import { AttrWriter } from './attr.js';
import { bpfFD } from './bpf.js';
import { Cmd } from './constants.js';
import type { FD } from './fd.js';
import { addressOf } from './libc.js';

/** BPF_BTF_LOAD attr. */
export interface BtfLoadAttr {
  btf: bigint;
  btfLogBuf?: bigint;
  btfSize: number;
  btfLogSize?: number;
  btfLogLevel?: number;
}

export const BTF_LOAD_ATTR_SIZE = 28;

export function encodeBtfLoadAttr(a: BtfLoadAttr): Uint8Array {
  return new AttrWriter(BTF_LOAD_ATTR_SIZE)
    .u64(0, a.btf, 'btf')
    .u64(8, a.btfLogBuf, 'btfLogBuf')
    .u32(16, a.btfSize, 'btfSize')
    .u32(20, a.btfLogSize, 'btfLogSize')
    .u32(24, a.btfLogLevel, 'btfLogLevel').bytes;
}

/** BPF_BTF_LOAD: loads a BTF blob; on failure the kernel's log is in `logBuf`. */
export function btfLoad(o: { btf: Uint8Array; logBuf?: Uint8Array; logLevel?: number }): FD {
  const attr = encodeBtfLoadAttr({
    btf: addressOf(o.btf),
    btfSize: o.btf.byteLength,
    btfLogBuf: o.logBuf ? addressOf(o.logBuf) : undefined,
    btfLogSize: o.logBuf?.byteLength,
    btfLogLevel: o.logBuf ? (o.logLevel ?? 1) : o.logLevel,
  });
  return bpfFD(Cmd.BtfLoad, attr, 'btf', [o.btf, o.logBuf]);
}
