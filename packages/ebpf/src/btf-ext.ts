import { InvalidArgumentError } from '@bpfkit/errors';

/** One `bpf_func_info` of an ELF section; `insnOffset` is in bytes, as clang writes it. */
export interface FuncInfoRecord {
  insnOffset: number;
  typeId: number;
}

/** One `bpf_line_info`. */
export interface LineInfoRecord {
  insnOffset: number;
  fileNameOff: number;
  lineOff: number;
  /** line << 10 | column, as the kernel packs it. */
  lineCol: number;
}

/** One `bpf_core_relo`: what a CO-RE instruction accesses, in the object's own BTF. */
export interface CoreRelocationRecord {
  insnOffset: number;
  typeId: number;
  accessStrOff: number;
  kind: number;
}

/** The records of `.BTF.ext`, by the ELF section they describe. */
export interface BtfExt {
  funcInfo: Map<string, FuncInfoRecord[]>;
  lineInfo: Map<string, LineInfoRecord[]>;
  coreRelos: Map<string, CoreRelocationRecord[]>;
}

const MAGIC = 0xeb9f;

function bad(detail: string): InvalidArgumentError {
  return new InvalidArgumentError('.BTF.ext', detail);
}

/**
 * Parse `.BTF.ext` (include/uapi/linux/btf.h's ext header, then per-kind blocks of
 * `{ sec_name_off, num_info, records }`). `sectionName` reads the .BTF string table.
 */
export function parseBtfExt(data: Uint8Array, sectionName: (offset: number) => string): BtfExt {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 24) throw bad(`${data.byteLength} bytes is shorter than its header`);
  if (view.getUint16(0, true) !== MAGIC) throw bad('bad magic (not little-endian BTF.ext)');
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > data.byteLength) throw bad(`header length ${hdrLen} is out of range`);
  const block = <T>(offAt: number, decode: (at: number) => T, minRec: number): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    if (offAt + 8 > hdrLen) return out;
    const off = view.getUint32(offAt, true);
    const len = view.getUint32(offAt + 4, true);
    if (len === 0) return out;
    let at = hdrLen + off;
    const end = at + len;
    if (end > data.byteLength || len < 4) throw bad(`a block at ${off} (+${len}) runs past the section`);
    const recSize = view.getUint32(at, true);
    if (recSize < minRec || recSize > 1024) throw bad(`record size ${recSize} is less than ${minRec}`);
    at += 4;
    while (at < end) {
      if (at + 8 > end) throw bad('truncated section header');
      const name = sectionName(view.getUint32(at, true));
      const count = view.getUint32(at + 4, true);
      at += 8;
      if (count * recSize > end - at) throw bad(`${count} records for ${name} run past the block`);
      const recs = out.get(name) ?? [];
      for (let i = 0; i < count; i++, at += recSize) recs.push(decode(at));
      out.set(name, recs);
    }
    return out;
  };
  return {
    funcInfo: block(8, (at) => ({ insnOffset: view.getUint32(at, true), typeId: view.getUint32(at + 4, true) }), 8),
    lineInfo: block(
      16,
      (at) => ({
        insnOffset: view.getUint32(at, true),
        fileNameOff: view.getUint32(at + 4, true),
        lineOff: view.getUint32(at + 8, true),
        lineCol: view.getUint32(at + 12, true),
      }),
      16,
    ),
    coreRelos: block(
      24,
      (at) => ({
        insnOffset: view.getUint32(at, true),
        typeId: view.getUint32(at + 4, true),
        accessStrOff: view.getUint32(at + 8, true),
        kind: view.getUint32(at + 12, true),
      }),
      16,
    ),
  };
}
