import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BpfError, brandErrorClass, InvalidArgumentError, SyscallError } from './index.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

describe('instanceof across copies of the package (the dual-package hazard)', () => {
  it('an error from the CJS build is an instance of the ESM build\'s classes, and the other way round', () => {
    // A project that loads both builds: an ESM script importing one and requiring the other.
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-dual-'));
    try {
      const script = join(dir, 'both.mjs');
      writeFileSync(
        script,
        `import { createRequire } from 'node:module';
        const esm = await import(${JSON.stringify(join(DIST, 'index.js'))});
        const cjs = createRequire(import.meta.url)(${JSON.stringify(join(DIST, 'index.cjs'))});
        const fromCjs = new cjs.SyscallError('bpf(BPF_PROG_LOAD)', 1);
        const fromEsm = new esm.InvalidArgumentError('x', 'bad');
        console.log(JSON.stringify({
          distinct: esm.SyscallError !== cjs.SyscallError,
          cjsIsEsmSyscall: fromCjs instanceof esm.SyscallError,
          cjsIsEsmBase: fromCjs instanceof esm.BpfError,
          cjsIsEsmInvalid: fromCjs instanceof esm.InvalidArgumentError,
          esmIsCjsInvalid: fromEsm instanceof cjs.InvalidArgumentError,
          esmIsCjsSyscall: fromEsm instanceof cjs.SyscallError,
          notSupported: esm.isNotSupported(new cjs.SyscallError('bpf', 95)),
        }));`,
      );
      const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual({
        distinct: true,
        cjsIsEsmSyscall: true,
        cjsIsEsmBase: true,
        cjsIsEsmInvalid: false,
        esmIsCjsInvalid: true,
        esmIsCjsSyscall: false,
        notSupported: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unbranded subclasses and non-errors keep ordinary instanceof', () => {
    class Mine extends SyscallError {}
    class Other extends BpfError {}
    brandErrorClass(Other, 'test:Other');
    const e = new Mine('x', 2);
    expect(e instanceof Mine).toBe(true);
    expect(e instanceof SyscallError).toBe(true);
    expect(new SyscallError('x', 2) instanceof Mine).toBe(false);
    expect(new Other('y') instanceof Other).toBe(true);
    expect(e instanceof Other).toBe(false);
    expect({} instanceof BpfError).toBe(false);
    expect((null as unknown) instanceof InvalidArgumentError).toBe(false);
    expect(new Error('z') instanceof BpfError).toBe(false);
  });
});
