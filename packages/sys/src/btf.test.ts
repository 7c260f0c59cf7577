import { describe, expect, it } from 'vitest';
import { checkFdLeaks, requireRoot } from '@bpfkit/testing';
import { btfLoad, encodeBtfLoadAttr } from './btf.js';
import { btfInfo } from './info.js';
import { btfGetFdById, btfGetNextId } from './obj.js';
import { compareVersions, kernelVersion } from './probe.js';
import { layout } from './testing/kernel.js';

/** A hand-made BTF blob with one type: `int` (BTF_KIND_INT, 4 bytes, signed). */
function intBlob(): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0');
  const types = new Uint8Array(16);
  const t = new DataView(types.buffer);
  t.setUint32(0, 1, true); // name_off -> "int"
  t.setUint32(4, 1 << 24, true); // info: kind INT, vlen 0
  t.setUint32(8, 4, true); // size
  t.setUint32(12, (1 << 24) | 32, true); // encoding SIGNED, offset 0, 32 bits
  const blob = new Uint8Array(24 + types.length + strings.length);
  const h = new DataView(blob.buffer);
  h.setUint16(0, 0xeb9f, true); // magic
  h.setUint8(2, 1); // version
  h.setUint32(4, 24, true); // hdr_len
  h.setUint32(8, 0, true); // type_off
  h.setUint32(12, types.length, true); // type_len
  h.setUint32(16, types.length, true); // str_off
  h.setUint32(20, strings.length, true); // str_len
  blob.set(types, 24);
  blob.set(strings, 24 + types.length);
  return blob;
}

describe('BTF_LOAD', () => {
  it('layout: btf @0, btf_log_buf @8, btf_size @16, btf_log_size @20, btf_log_level @24', () => {
    expect(encodeBtfLoadAttr({ btf: 0x10n, btfLogBuf: 0x20n, btfSize: 40, btfLogSize: 4096, btfLogLevel: 1 })).toEqual(
      layout(28, [
        [0, 8, 0x10n],
        [8, 8, 0x20n],
        [16, 4, 40],
        [20, 4, 4096],
        [24, 4, 1],
      ]),
    );
  });

  checkFdLeaks();

  it('loads a blob and reads it back through BTF info', (ctx) => {
    requireRoot(ctx);
    const blob = intBlob();
    using btf = btfLoad({ btf: blob });
    const info = btfInfo(btf.fd);
    expect(info.kernelBtf).toBe(false);
    expect(info.btfSize).toBe(blob.length);
    expect(info.btf()).toEqual(blob);
    using again = btfGetFdById(info.id);
    expect(btfInfo(again.fd).id).toBe(info.id);
  });

  it('a corrupt blob fails with the kernel log in the buffer', (ctx) => {
    requireRoot(ctx);
    const blob = intBlob();
    blob[0] = 0; // bad magic
    const logBuf = new Uint8Array(4096);
    expect(() => btfLoad({ btf: blob, logBuf })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(new TextDecoder().decode(logBuf.subarray(0, logBuf.indexOf(0)))).toMatch(/magic/i);
  });

  it('finds vmlinux among the kernel BTF objects (object IDs and names for kernel BTF exist from 5.11)', (ctx) => {
    requireRoot(ctx);
    const named = compareVersions(kernelVersion(), '5.11') >= 0;
    const infos: ReturnType<typeof btfInfo>[] = [];
    for (let id = btfGetNextId(0); id !== undefined; id = btfGetNextId(id)) {
      try {
        using fd = btfGetFdById(id);
        infos.push(btfInfo(fd.fd));
      } catch (err) {
        // Freed between the two calls: another process's object.
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
    }
    if (!named) {
      // Older kernels give kernel BTF no object ID and report no names at all.
      expect(infos.every((i) => i.name === '' && !i.kernelBtf)).toBe(true);
      return;
    }
    const vmlinux = infos.find((i) => i.kernelBtf && i.name === 'vmlinux');
    expect(vmlinux).toBeDefined();
    expect(vmlinux!.btfSize).toBeGreaterThan(1_000_000);
  });

});
