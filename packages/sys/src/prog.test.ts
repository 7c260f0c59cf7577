import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { checkFdLeaks, requireRoot } from '@bpfkit/testing';
import { ProgType } from './constants.js';
import { objGet, objPin, progGetFdById, progGetNextId, unpin } from './obj.js';
import { progInfo } from './info.js';
import { encodeProgLoadAttr, encodeProgTestRunAttr, progLoad, progTestRun } from './prog.js';
import { ACCEPT_ALL, layout, RETURN_ZERO } from './testing/kernel.js';

const P = 0x1122334455667788n;

describe('PROG_LOAD and PROG_TEST_RUN layouts', () => {
  it('PROG_LOAD: every field at the offset of union bpf_attr', () => {
    const attr = encodeProgLoadAttr({
      progType: 26,
      insnCnt: 2,
      insns: P,
      license: P + 8n,
      logLevel: 1,
      logSize: 4096,
      logBuf: P + 16n,
      kernVersion: 0x60100,
      progFlags: 0x10,
      progName: 'abc',
      progIfindex: 3,
      expectedAttachType: 24,
      progBtfFd: 5,
      funcInfoRecSize: 8,
      funcInfo: P + 24n,
      funcInfoCnt: 1,
      lineInfoRecSize: 16,
      lineInfo: P + 32n,
      lineInfoCnt: 2,
      attachBtfId: 4321,
      attachFd: 6,
      fdArray: P + 40n,
    });
    const want = layout(148, [
      [0, 4, 26],
      [4, 4, 2],
      [8, 8, P],
      [16, 8, P + 8n],
      [24, 4, 1],
      [28, 4, 4096],
      [32, 8, P + 16n],
      [40, 4, 0x60100],
      [44, 4, 0x10],
      [64, 4, 3],
      [68, 4, 24],
      [72, 4, 5],
      [76, 4, 8],
      [80, 8, P + 24n],
      [88, 4, 1],
      [92, 4, 16],
      [96, 8, P + 32n],
      [104, 4, 2],
      [108, 4, 4321],
      [112, 4, 6],
      [120, 8, P + 40n],
    ]);
    want.set([0x61, 0x62, 0x63], 48); // prog_name "abc" @48
    expect(attr).toEqual(want);
  });

  it('rejects a name of 16 bytes or more, and bad instruction buffers, before any syscall', () => {
    expect(() => encodeProgLoadAttr({ progType: 1, insnCnt: 1, insns: 0n, license: 0n, progName: 'x'.repeat(16) })).toThrow(
      InvalidArgumentError,
    );
    expect(() => progLoad({ progType: 1, insns: new Uint8Array(12), license: 'GPL' })).toThrow(/whole, non-zero/);
    expect(() => progLoad({ progType: 1, insns: new Uint8Array(0), license: 'GPL' })).toThrow(InvalidArgumentError);
    expect(() => progLoad({ progType: 1, insns: RETURN_ZERO, license: 'G\0PL' })).toThrow(/NUL/);
  });

  it('PROG_TEST_RUN: prog_fd @0, sizes @8/@12, data @16/@24, repeat @32, ctx @40..@56, flags @64, cpu @68', () => {
    expect(
      encodeProgTestRunAttr({
        progFd: 3,
        dataSizeIn: 14,
        dataSizeOut: 64,
        dataIn: P,
        dataOut: P + 1n,
        repeat: 10,
        ctxSizeIn: 4,
        ctxSizeOut: 8,
        ctxIn: P + 2n,
        ctxOut: P + 3n,
        flags: 1,
        cpu: 1,
      }),
    ).toEqual(
      layout(80, [
        [0, 4, 3],
        [8, 4, 14],
        [12, 4, 64],
        [16, 8, P],
        [24, 8, P + 1n],
        [32, 4, 10],
        [40, 4, 4],
        [44, 4, 8],
        [48, 8, P + 2n],
        [56, 8, P + 3n],
        [64, 4, 1],
        [68, 4, 1],
      ]),
    );
  });
});

describe('programs on the real kernel', () => {
  checkFdLeaks();
  let pinDir: string;
  beforeAll(() => {
    pinDir = mkdtempSync('/sys/fs/bpf/bpfkit-sys-test-');
  });
  afterAll(() => {
    rmSync(pinDir, { recursive: true, force: true });
  });

  it('loads a 2-instruction socket filter and reads its info back', (ctx) => {
    requireRoot(ctx);
    using prog = progLoad({ progType: ProgType.SocketFilter, insns: RETURN_ZERO, license: 'GPL', progName: 'bpfkit_two' });
    const info = progInfo(prog.fd);
    expect(info.type).toBe(ProgType.SocketFilter);
    expect(info.name).toBe('bpfkit_two');
    expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    // The tag is a digest of the instructions (how it is computed varies between kernels):
    // the same program has the same tag, another program another one.
    using same = progLoad({ progType: ProgType.SocketFilter, insns: RETURN_ZERO, license: 'GPL' });
    using other = progLoad({ progType: ProgType.SocketFilter, insns: ACCEPT_ALL, license: 'GPL' });
    expect(progInfo(same.fd).tag).toBe(info.tag);
    expect(progInfo(other.fd).tag).not.toBe(info.tag);
    expect(info.xlatedProgLen).toBe(16);
    expect(info.gplCompatible).toBe(true);
    expect(info.id).toBeGreaterThan(0);
  });

  it('pins it, gets it back by path and by ID, and finds it among all program IDs', (ctx) => {
    requireRoot(ctx);
    using prog = progLoad({ progType: ProgType.SocketFilter, insns: RETURN_ZERO, license: 'GPL' });
    const { id } = progInfo(prog.fd);
    const path = join(pinDir, 'prog');
    objPin(path, prog.fd);
    try {
      using byPath = objGet(path);
      expect(progInfo(byPath.fd).id).toBe(id);
    } finally {
      unpin(path);
    }
    expect(() => objGet(path)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    using byId = progGetFdById(id);
    expect(progInfo(byId.fd).id).toBe(id);

    const ids: number[] = [];
    for (let next = progGetNextId(0); next !== undefined; next = progGetNextId(next)) ids.push(next);
    expect(ids).toContain(id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('a program the verifier rejects throws EACCES with the verifier log in the error', (ctx) => {
    requireRoot(ctx);
    const logBuf = new Uint8Array(64 * 1024);
    const exitOnly = new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]);
    let err: unknown;
    try {
      progLoad({ progType: ProgType.SocketFilter, insns: exitOnly, license: 'GPL', logLevel: 1, logBuf });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).code).toBe('EACCES');
    expect((err as SyscallError).syscall).toBe('bpf(BPF_PROG_LOAD)');
    expect((err as SyscallError).message).toContain('R0 !read_ok');
    expect(new TextDecoder().decode(logBuf)).toContain('R0 !read_ok');
  });

  it('an unknown program type is EINVAL', (ctx) => {
    requireRoot(ctx);
    expect(() => progLoad({ progType: 9999 as ProgType, insns: RETURN_ZERO, license: 'GPL' })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });

  it('runs a program with PROG_TEST_RUN', (ctx) => {
    requireRoot(ctx);
    using prog = progLoad({ progType: ProgType.SchedCLS, insns: RETURN_ZERO, license: 'GPL' });
    const packet = new Uint8Array(64);
    const out = new Uint8Array(64);
    const res = progTestRun({ progFd: prog.fd, dataIn: packet, dataOut: out, repeat: 3 });
    expect(res.retval).toBe(0);
    expect(res.dataSizeOut).toBe(64);
  });

  /**
   * A world-readable copy of what the unprivileged child loads: this package's dist, its bpfkit
   * dependencies (@bpfkit/errors, @bpfkit/tracefs), and the node_modules that holds koffi and its
   * native package. The checkout itself may lie in a
   * directory only root can enter (a clone under /root, a mktemp -d folder).
   */
  function readableCopyOfSys(): string {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-sys-unprivileged-'));
    const modules = join(dir, 'node_modules');
    cpSync(dirname(realpathSync(join(root, 'node_modules', 'koffi'))), modules, { recursive: true, dereference: true });
    const dependency = (name: string) => realpathSync(join(root, 'node_modules', '@bpfkit', name));
    for (const [from, name] of [[root, 'sys'], [dependency('errors'), 'errors'], [dependency('tracefs'), 'tracefs']] as const) {
      for (const part of ['package.json', 'dist']) cpSync(join(from, part), join(modules, '@bpfkit', name, part), { recursive: true });
    }
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    return dir;
  }

  it('without privileges, loading fails with EPERM and a hint about capabilities', (ctx) => {
    requireRoot(ctx);
    execFileSync('setpriv', ['--help'], { stdio: 'ignore' });
    const dir = readableCopyOfSys();
    try {
      const script = `
        const s = require(${JSON.stringify(join(dir, 'node_modules', '@bpfkit', 'sys'))});
        try {
          s.progLoad({ progType: s.ProgType.SocketFilter, insns: new Uint8Array([0xb7,0,0,0,0,0,0,0,0x95,0,0,0,0,0,0,0]), license: 'GPL' });
          console.log(JSON.stringify({ ok: true }));
        } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, hint: e.hint })); }`;
      const r = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', process.execPath, '-e', script],
        { encoding: 'utf8', cwd: dir },
      );
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ name: 'SyscallError', code: 'EPERM' });
      expect(out.hint).toMatch(/CAP_BPF/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
