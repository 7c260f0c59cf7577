import { existsSync } from 'node:fs';
import { BtfBuilder, Kind, Linkage, loadKernelBTF } from '@bpfkit/btf';
import { InvalidArgumentError, SymbolNotFoundError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { describe, expect, it } from 'vitest';
import { collectGarbage, expectNoFdLeak, loopback, openFds, requireRoot, thrown } from '@bpfkit/testing';
import { asm } from './asm.js';
import { counterProgram } from './counter.js';
import { Map } from './map.js';
import { loadProgram, Program } from './program.js';
import { kernelSyscalls, type LoaderSyscalls } from './syscalls.js';
import { trampolinesPermitted } from './testing/trampolines.js';
import { boundUdpSocket } from './testing/udp.js';
import { AttachType, MapType, ProgramType } from './types.js';
import { VerifierError } from './verifier-error.js';

const RET0 = [asm.mov64('r0', 0), asm.exit()];
const pinPath = (what: string) => `/sys/fs/bpf/bpfkit-ebpf-test-${process.pid}-${what}`;
const counterMap = () => Map.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });

/** The real syscalls, with every PROG_LOAD attr recorded (and optionally not sent). */
function recorder(send = true): { sc: LoaderSyscalls; loads: sys.ProgLoadOptions[] } {
  const loads: sys.ProgLoadOptions[] = [];
  const sc: LoaderSyscalls = {
    ...kernelSyscalls,
    progLoad(opts) {
      loads.push(opts);
      if (send) return kernelSyscalls.progLoad(opts);
      throw new SyscallError('bpf(BPF_PROG_LOAD)', 1);
    },
  };
  return { sc, loads };
}

/** The encoded union bpf_attr for a recorded load, with pointers zeroed. */
function attrBytes(o: sys.ProgLoadOptions): DataView {
  const bytes = sys.encodeProgLoadAttr({
    progType: o.progType, insnCnt: o.insns.byteLength / 8, insns: 0n, license: 0n, logLevel: o.logLevel,
    progName: o.progName, expectedAttachType: o.expectedAttachType, attachBtfId: o.attachBtfId,
    attachFd: o.attachProgFd ?? o.attachBtfObjFd, progFlags: o.progFlags,
  });
  return new DataView(bytes.buffer);
}

describe('Program.load (real kernel)', () => {
  it('counts real UDP packets with a counter program attached by SO_ATTACH_BPF', (ctx) => {
    requireRoot(ctx);
    using map = counterMap();
    using prog = Program.load({ type: ProgramType.SocketFilter, instructions: counterProgram(map, { returnValue: 0xffff }), license: 'GPL', name: 'udp_counter' });
    const rx = boundUdpSocket();
    using _rx = rx.sock;
    using tx = sys.socket(sys.Sock.AF_INET, sys.Sock.SOCK_DGRAM | sys.Sock.SOCK_CLOEXEC, 0);
    sys.setsockopt(rx.sock.fd, sys.Sock.SOL_SOCKET, sys.Sock.SO_ATTACH_BPF, prog.fd);
    const N = 25;
    const payload = new TextEncoder().encode('bpfkit');
    for (let i = 0; i < N; i++) sys.sendto(tx.fd, payload, 0, loopback(rx.port));
    const buf = new Uint8Array(64);
    let received = 0;
    for (let i = 0; i < N; i++) {
      expect(sys.recvfrom(rx.sock.fd, buf, 0)).toBe(payload.length);
      received++;
    }
    expect(received).toBe(N);
    expect(map.lookupU64(0)).toBe(BigInt(N));
    // Detached, the program stops counting.
    sys.setsockopt(rx.sock.fd, sys.Sock.SOL_SOCKET, sys.Sock.SO_DETACH_BPF, 0);
    sys.sendto(tx.fd, payload, 0, loopback(rx.port));
    sys.recvfrom(rx.sock.fd, buf, 0);
    expect(map.lookupU64(0)).toBe(BigInt(N));
  });

  it('runs a program with testRun', (ctx) => {
    requireRoot(ctx);
    using map = counterMap();
    using prog = Program.load({ type: ProgramType.SocketFilter, instructions: counterProgram(map, { returnValue: 7 }), license: 'GPL' });
    const r = prog.testRun({ data: new Uint8Array(64), repeat: 5 });
    expect(r.retval).toBe(7);
    expect(r.data?.length).toBe(64);
    expect(map.lookupU64(0)).toBe(5n);
  });

  it('loads raw bytecode and reports info', (ctx) => {
    requireRoot(ctx);
    using prog = Program.load({ type: ProgramType.SocketFilter, instructions: asm.encode(RET0), license: 'MIT', name: 'raw' });
    const info = prog.info();
    expect(info).toMatchObject({ type: ProgramType.SocketFilter, name: 'raw', gplCompatible: false });
    expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(info.id).toBeGreaterThan(0);
    expect(prog.type).toBe(ProgramType.SocketFilter);
  });

  it('loads tp_btf sys_enter with the btf_trace_ typedef as attach point', (ctx) => {
    requireRoot(ctx);
    using prog = Program.load({ type: ProgramType.Tracing, attachType: AttachType.TraceRawTp, attachTo: 'sys_enter', instructions: RET0, license: 'GPL' });
    const vmlinux = loadKernelBTF();
    // bpf_prog_info reports attach_btf_id from 6.0 on; older kernels leave the field out (0).
    const reported = sys.compareVersions(sys.kernelVersion(), '6.0') >= 0;
    expect(prog.info().attachBtfId).toBe(reported ? vmlinux.typeId('btf_trace_sys_enter', Kind.Typedef) : 0);
    expect(prog.info().type).toBe(ProgramType.Tracing);
  });

  it('throws SymbolNotFoundError for an unknown attach point, leaking nothing', (ctx) => {
    requireRoot(ctx);
    const load = () => Program.load({ type: ProgramType.Tracing, attachType: AttachType.TraceFEntry, attachTo: 'no_such_function', instructions: RET0, license: 'GPL' });
    expect(load).toThrow(SymbolNotFoundError);
    expect(load).toThrow(/no_such_function/);
    expectNoFdLeak(load);
    expect(() => Program.load({ type: ProgramType.LSM, attachType: AttachType.LSMMac, attachTo: 'no_such_hook', instructions: RET0, license: 'GPL' })).toThrow(/bpf_lsm_no_such_hook/);
  });

  it('throws VerifierError with the log, growing the buffer on ENOSPC', (ctx) => {
    requireRoot(ctx);
    // 40 instructions logged, then exit with r0 unset.
    const bad = [...Array.from({ length: 40 }, () => asm.mov64('r1', 1)), asm.exit()];
    let err: unknown;
    const before = openFds();
    try {
      Program.load({ type: ProgramType.SocketFilter, instructions: bad, license: 'GPL', logSize: 128 });
    } catch (e) {
      err = e;
    }
    expect([...openFds()].filter(([fd, t]) => before.get(fd) !== t)).toEqual([]);
    expect(err).toBeInstanceOf(VerifierError);
    const v = err as VerifierError;
    expect(v.code).toBe('ERR_BPF_VERIFIER');
    expect(v.name).toBe('VerifierError');
    expect(v.message).toMatch(/^load SocketFilter program: EACCES: verifier rejected the program/);
    expect(v.log).toMatch(/R0 !read_ok/);
    expect(v.log.length).toBeGreaterThan(128);
    expect(v.truncated).toBe(false);
    expect(v.message).toMatch(/R0 !read_ok/);
    expect(v.message).toMatch(/EACCES/);
  });

  it('keeps the log of a successful load when logLevel is set', (ctx) => {
    requireRoot(ctx);
    using prog = Program.load({ type: ProgramType.SocketFilter, instructions: RET0, license: 'GPL', logLevel: 1 });
    expect(prog.verifierLog).toMatch(/processed 2 insns/);
  });

  it('loads LSM file_mprotect and fentry do_sys_openat2 where trampolines are permitted, else EPERM with a hint', (ctx) => {
    requireRoot(ctx);
    const permitted = trampolinesPermitted();
    for (const opts of [
      { type: ProgramType.LSM, attachType: AttachType.LSMMac, attachTo: 'file_mprotect' },
      { type: ProgramType.Tracing, attachType: AttachType.TraceFEntry, attachTo: 'do_sys_openat2' },
    ]) {
      const before = openFds();
      const load = () => Program.load({ ...opts, instructions: RET0, license: 'GPL' });
      if (permitted) {
        using prog = load();
        expect(prog.info().type).toBe(opts.type);
      } else {
        let err: unknown;
        try {
          load().close();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SyscallError);
        const e = err as SyscallError;
        expect(e.code).toBe('EPERM');
        expect(e.hint).toMatch(/CAP_BPF.*trampolines/);
        expect(e.message).toMatch(/^load (LSM|Tracing) program: bpf\(BPF_PROG_LOAD\): EPERM/);
      }
      expect([...openFds()].filter(([fd, t]) => before.get(fd) !== t)).toEqual([]);
    }
  });

  it('loads program BTF with func info, finds the target function for freplace, and replaces it', (ctx) => {
    requireRoot(ctx);
    // A global function whose argument is the program type's context (struct __sk_buff for a
    // socket filter): the verifier marks anything else "unreliable", i.e. a static function
    // freplace may not replace. The extension carries a FUNC with the same signature.
    const funcBTF = () => {
      const b = new BtfBuilder();
      const int = b.int('int', 4, { signed: true });
      const skb = b.struct('__sk_buff', 0, []);
      const proto = b.funcProto(int, [{ name: 'skb', type: b.ptr(skb) }]);
      const main = b.func('target_main', proto, Linkage.Global);
      return { data: b.encode(), funcInfo: [{ insnOffset: 0, typeId: main }], main };
    };
    const t = funcBTF();
    using target = Program.load({ type: ProgramType.SocketFilter, instructions: RET0, license: 'GPL', name: 'target', btf: t });
    expect(target.info().btfId).toBeGreaterThan(0);
    const { sc, loads } = recorder(false);
    const ext = funcBTF();
    const opts = { type: ProgramType.Extension, attachTarget: target, attachTo: 'target_main', instructions: [asm.mov64('r0', 7), asm.exit()], license: 'GPL', btf: ext };
    const load = () => loadProgram(opts, sc);
    expect(load).toThrow(SyscallError);
    expect(loads[0]).toMatchObject({ progType: ProgramType.Extension, attachBtfId: t.main, attachProgFd: target.fd });
    expect(attrBytes(loads[0]!).getUint32(112, true)).toBe(target.fd);
    expect(() => loadProgram({ ...opts, attachTo: 'nope' }, sc)).toThrow(SymbolNotFoundError);
    expectNoFdLeak(load);

    // The kernel itself: freplace needs a trampoline.
    const packet = new Uint8Array(64);
    expect(target.testRun({ data: packet }).retval).toBe(0);
    if (!trampolinesPermitted()) {
      expect(() => Program.load(opts)).toThrow(expect.objectContaining({ code: 'EPERM' }));
      return;
    }
    using extension = Program.load(opts);
    expect(extension.info().type).toBe(ProgramType.Extension);
    // target_fd 0 and no BTF ID: attach where the program was loaded for (attach_prog_fd).
    const link = sys.linkCreate({ progFd: extension.fd, attachType: 0 });
    try {
      expect(target.testRun({ data: packet }).retval).toBe(7);
    } finally {
      link.close();
    }
    expect(target.testRun({ data: packet }).retval).toBe(0);
  });

  it('rejects a BTF blob the kernel refuses, with its log', (ctx) => {
    requireRoot(ctx);
    const b = new BtfBuilder();
    b.int('int', 4);
    const blob = b.encode();
    blob[24 + 4 + 3] = 0x1f; // unknown kind
    expectNoFdLeak(() => Program.load({ type: ProgramType.SocketFilter, instructions: RET0, license: 'GPL', btf: { data: blob } }));
    expect(() => Program.load({ type: ProgramType.SocketFilter, instructions: RET0, license: 'GPL', btf: { data: blob } })).toThrow(/load program BTF.*EINVAL/);
  });
});

describe('Program attrs (injected syscalls)', () => {
  const vmlinux = loadKernelBTF();

  it('LSM file_mprotect: prog type 29, expected attach type 27, attach_btf_id of bpf_lsm_file_mprotect', () => {
    const { sc, loads } = recorder(false);
    expect(() => loadProgram({ type: ProgramType.LSM, attachType: AttachType.LSMMac, attachTo: 'file_mprotect', instructions: RET0, license: 'GPL', name: 'lsm' }, sc)).toThrow(SyscallError);
    const id = vmlinux.typeId('bpf_lsm_file_mprotect', Kind.Func);
    expect(loads.length).toBe(2); // without, then with the verifier log
    const attr = attrBytes(loads[0]!);
    expect(attr.getUint32(0, true)).toBe(29);
    expect(attr.getUint32(4, true)).toBe(2);
    expect(attr.getUint32(24, true)).toBe(0); // no log on the first try
    expect(new TextDecoder().decode(new Uint8Array(attr.buffer, 48, 3))).toBe('lsm');
    expect(attr.getUint32(68, true)).toBe(27);
    expect(attr.getUint32(108, true)).toBe(id);
    expect(attr.getUint32(112, true)).toBe(0); // vmlinux: no attach_btf_obj_fd
    expect(loads[0]!.license).toBe('GPL');
    expect(loads[1]!.logLevel).toBe(1);
    expect(loads[1]!.logBuf!.byteLength).toBe(64 * 1024);
  });

  it('fentry do_sys_openat2: prog type 26, expected attach type 24, attach_btf_id of the FUNC itself', () => {
    const { sc, loads } = recorder(false);
    expect(() => loadProgram({ type: ProgramType.Tracing, attachType: AttachType.TraceFEntry, attachTo: 'do_sys_openat2', instructions: RET0, license: 'GPL' }, sc)).toThrow(/hint|EPERM/);
    const attr = attrBytes(loads[0]!);
    expect(attr.getUint32(0, true)).toBe(26);
    expect(attr.getUint32(68, true)).toBe(24);
    expect(attr.getUint32(108, true)).toBe(vmlinux.typeId('do_sys_openat2', Kind.Func));
  });

  it('iterators and struct_ops resolve their own prefixes and member indexes', () => {
    const { sc, loads } = recorder(false);
    expect(() => loadProgram({ type: ProgramType.Tracing, attachType: AttachType.TraceIter, attachTo: 'task', instructions: RET0, license: 'GPL' }, sc)).toThrow(SyscallError);
    expect(loads[0]!.attachBtfId).toBe(vmlinux.typeId('bpf_iter_task', Kind.Func));
    expect(() => loadProgram({ type: ProgramType.StructOps, attachTo: 'tcp_congestion_ops:cong_avoid', instructions: RET0, license: 'GPL' }, sc)).toThrow(SyscallError);
    const ops = vmlinux.typeId('tcp_congestion_ops', Kind.Struct);
    const index = vmlinux.members(ops).findIndex((m) => m.name === 'cong_avoid');
    expect(loads[2]).toMatchObject({ attachBtfId: ops, expectedAttachType: index });
  });

  it('rejects bad options before any syscall', () => {
    const { sc, loads } = recorder(false);
    const bad: [object, RegExp][] = [
      [{ type: ProgramType.Tracing, attachType: AttachType.TraceFEntry, instructions: RET0, license: 'GPL' }, /attach point/],
      [{ type: ProgramType.Extension, attachTo: 'f', instructions: RET0, license: 'GPL' }, /attachTarget/],
      [{ type: ProgramType.SocketFilter, instructions: new Uint8Array(7), license: 'GPL' }, /instructions/],
      [{ type: ProgramType.SocketFilter, instructions: RET0, license: 3 }, /license/],
      [{ type: -1, instructions: RET0, license: 'GPL' }, /type/],
      [{ type: ProgramType.SocketFilter, instructions: RET0, license: 'GPL', attachTarget: {} }, /attachTarget/],
      [{ type: ProgramType.Tracing, attachType: AttachType.TraceRawTp, attachTo: '', instructions: RET0, license: 'GPL' }, /attachTo/],
    ];
    for (const [opts, msg] of bad) {
      expect(() => loadProgram(opts as never, sc)).toThrow(InvalidArgumentError);
      expect(() => loadProgram(opts as never, sc)).toThrow(msg);
    }
    expect(loads).toEqual([]);
  });
});

describe('Program objects (real kernel)', () => {
  it('pins, reloads by path and ID, clones, and closes idempotently', (ctx) => {
    requireRoot(ctx);
    const path = pinPath('prog');
    const prog = Program.load({ type: ProgramType.SocketFilter, instructions: RET0, license: 'GPL', name: 'pinme' });
    prog.pin(path);
    try {
      using again = Program.loadPinned(path);
      expect(again.info().id).toBe(prog.info().id);
      expect(again.type).toBe(ProgramType.SocketFilter);
      expect(again.name).toBe('pinme');
      using byId = Program.fromID(prog.info().id);
      expect(byId.info().tag).toBe(prog.info().tag);
      using clone = prog.clone();
      expect(clone.fd).not.toBe(prog.fd);
      const fd = sys.progGetFdById(prog.info().id).disown();
      const wrapped = Program.fromFD(fd);
      expect(wrapped.type).toBe(ProgramType.SocketFilter);
      wrapped.close();
      expect(openFds().has(fd)).toBe(false);
    } finally {
      prog.unpin();
    }
    expect(existsSync(path)).toBe(false);
    prog.close();
    prog.close();
    expect(prog.fd).toBe(-1);
    expect(() => prog.info()).toThrow(/closed/);
    expect(() => prog.testRun()).toThrow(/closed/);
  });

  it('a closed program or map fails the same way used directly or passed as an argument, naming the object', (ctx) => {
    requireRoot(ctx);
    const prog = Program.load({ type: ProgramType.SocketFilter, instructions: RET0, license: 'GPL' });
    const map = counterMap();
    prog.close();
    map.close();
    expect(prog.closed && map.closed).toBe(true);
    const closedProgram = expect.objectContaining({ name: 'InvalidArgumentError', message: expect.stringMatching(/program closed$/) });
    const closedMap = expect.objectContaining({ name: 'InvalidArgumentError', message: expect.stringMatching(/map closed$/) });
    expect(thrown(() => prog.info())).toEqual(closedProgram);
    expect(thrown(() => prog.pin(pinPath('closed')))).toEqual(closedProgram);
    expect(thrown(() => prog.clone())).toEqual(closedProgram);
    expect(thrown(() => Program.load({ type: ProgramType.Extension, attachTo: 'f', attachTarget: prog, instructions: RET0, license: 'GPL' }))).toEqual(
      expect.objectContaining({ argument: 'attachTarget', message: 'invalid attachTarget: program closed' }),
    );
    expect(thrown(() => map.lookup(0))).toEqual(closedMap);
    expect(thrown(() => Map.create({ type: MapType.ArrayOfMaps, keySize: 4, valueSize: 4, maxEntries: 1, innerMap: map }))).toEqual(
      expect.objectContaining({ argument: 'innerMap', message: 'invalid innerMap: map closed' }),
    );
    expect(thrown(() => Program.load({ type: ProgramType.SocketFilter, instructions: counterProgram(map), license: 'GPL' }))).toEqual(closedMap);
  });

  it('leaks no fd when opening fails', (ctx) => {
    requireRoot(ctx);
    expectNoFdLeak(() => Program.loadPinned(pinPath('missing')));
    expect(() => Program.loadPinned(pinPath('missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expectNoFdLeak(() => Program.fromID(0x7ffffff0));
    using m = counterMap();
    const path = pinPath('map-not-prog');
    m.pin(path);
    try {
      expectNoFdLeak(() => Program.loadPinned(path));
      expect(() => Program.loadPinned(path)).toThrow(/not a program/);
    } finally {
      m.unpin();
    }
    expect(() => Program.fromFD(m.fd)).toThrow(/bpf-map, not a BPF program/);
    expect(openFds().get(m.fd)).toBe('anon_inode:bpf-map');
  });

  it('is closed by the finalizer when dropped', async (ctx) => {
    requireRoot(ctx);
    let fd = -1;
    (() => {
      fd = Program.load({ type: ProgramType.SocketFilter, instructions: RET0, license: 'GPL' }).fd;
    })();
    expect(openFds().get(fd)).toBe('anon_inode:bpf-prog');
    await collectGarbage();
    expect(openFds().get(fd)).not.toBe('anon_inode:bpf-prog');
  });
});
