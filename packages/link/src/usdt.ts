import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import { ProgramType } from '@bpfkit/ebpf';
import type { Executable } from './executable.js';
import { type ProgramRef, typedProgramFd } from './program-ref.js';
import { u64Option } from './uprobe.js';
import { attachLocations, multiPid, type UprobeMultiResult } from './uprobe-multi.js';

export interface UsdtOptions {
  /** Only events of this process (default: every process that runs the file). */
  pid?: number;
  /** One cookie for every location of the probe, read back with bpf_get_attach_cookie. */
  cookie?: number | bigint;
}

/** A USDT attachment: one uprobe_multi link (6.6+), or one uprobe per location on older kernels. */
export type UsdtResult = UprobeMultiResult;

function nonEmpty(v: unknown, argument: string, what: string): string {
  if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(argument, `${what}: ${argument} must be a non-empty string`);
  return v;
}

/**
 * @internal Executable.usdt. Every location of `provider:name` is probed, and its semaphore (where
 * the probe has one) is passed as the uprobe's ref_ctr offset, so the kernel raises it while the
 * link exists and the target's `*_ENABLED()` checks turn true. The program must be a Kprobe program,
 * loaded with AttachType.TraceUprobeMulti where the kernel has uprobe_multi.
 */
export function attachUsdt(exe: Executable, provider: string, name: string, program: unknown, opts: UsdtOptions | undefined): UsdtResult {
  const what = `USDT probe ${String(provider)}:${String(name)} in ${exe.path}`;
  nonEmpty(provider, 'provider', what);
  nonEmpty(name, 'name', what);
  const progFd = typedProgramFd(program, `attach ${what}`, { Kprobe: ProgramType.Kprobe });
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new InvalidArgumentError('options', `${what}: must be an object`);
  const o = opts ?? {};
  const pid = multiPid(o.pid, what);
  const cookie = o.cookie === undefined ? undefined : u64Option(o.cookie, 'cookie', what);
  const all = exe.usdtProbes();
  const probes = all.filter((p) => p.provider === provider && p.name === name);
  if (probes.length === 0) {
    const ofProvider = all.filter((p) => p.provider === provider);
    const list = (xs: string[]) => [...new Set(xs)].join(', ') || 'none';
    const detail =
      ofProvider.length === 0
        ? `the file has no USDT provider ${provider} (providers: ${list(all.map((p) => p.provider))})`
        : `provider ${provider} has no probe ${name} (its probes: ${list(ofProvider.map((p) => p.name))})`;
    throw new SymbolNotFoundError(`${provider}:${name}`, { path: exe.path, detail });
  }
  return attachLocations(
    exe,
    program as ProgramRef,
    progFd,
    {
      locations: probes.map((p) => ({ offset: p.locationOffset, symbol: `${provider}_${name}` })),
      refCtrOffsets: probes.map((p) => p.semaphoreOffset ?? 0n),
      cookies: cookie === undefined ? [] : probes.map(() => cookie),
      pid,
      fallback: 'uprobes',
    },
    false,
    what,
  );
}
