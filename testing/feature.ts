/**
 * The one place where a real-kernel test may decide to skip. A skip needs a NotSupportedError
 * from a feature probe; under BPFKIT_STRICT=1 the skip becomes a failure when the running kernel
 * is new enough for the feature, unless the probe found it was built without it (missingConfig).
 */
import { release } from 'node:os';
import { Errno } from '@bpfkit/errors';

interface SkipContext {
  skip(note?: string): never;
}

interface NotSupportedLike {
  message: string;
  feature?: string;
  minimumKernel?: string;
  missingConfig?: string;
  refusal?: string;
}

export const strict = process.env.BPFKIT_STRICT === '1';
export const isRoot = process.getuid?.() === 0;

/**
 * The same test as @bpfkit/errors' isNotSupported, by shape, so an error from any copy of the
 * packages (a dist build, a packed tarball) counts.
 */
function isNotSupported(err: unknown): boolean {
  for (let e = err, depth = 0; e != null && depth < 16; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, errno } = e as { code?: unknown; errno?: unknown };
    if (code === 'ERR_BPF_NOT_SUPPORTED' || errno === Errno.EOPNOTSUPP || errno === Errno.ENOTSUPP) return true;
  }
  return false;
}

function parseVersion(v: string): number[] {
  return (v.match(/^(\d+)\.(\d+)(?:\.(\d+))?/)?.slice(1) ?? []).map((x) => Number(x ?? 0));
}

function atOrAbove(running: number[], minimum: number[]): boolean {
  for (let i = 0; i < 3; i++) {
    const a = running[i] ?? 0;
    const b = minimum[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Whether strict mode forbids skipping for this error on the running kernel. */
export function skipForbidden(err: NotSupportedLike, kernelRelease = release(), strictMode = strict): boolean {
  if (!strictMode || err.missingConfig || err.refusal) return false;
  if (!err.minimumKernel) return true;
  return atOrAbove(parseVersion(kernelRelease), parseVersion(err.minimumKernel));
}

/**
 * Skip the current test because `err` says the kernel lacks a feature. Rethrows anything that
 * is not a not-supported error, and fails in strict mode when the kernel should have it.
 */
export function skipUnsupported(ctx: SkipContext, err: unknown): never {
  if (!isNotSupported(err)) throw err;
  const e = err as NotSupportedLike;
  if (skipForbidden(e)) {
    throw new Error(`BPFKIT_STRICT=1: refusing to skip on kernel ${release()}: ${e.message}`, { cause: err });
  }
  return ctx.skip(`kernel lacks it: ${e.message}`);
}

/** Run a probe; skip the test (per the rules above) when it reports the feature missing. */
export async function requireFeature(ctx: SkipContext, probe: () => unknown): Promise<void> {
  try {
    await probe();
  } catch (err) {
    skipUnsupported(ctx, err);
  }
}

/** Skip when not root; under BPFKIT_STRICT=1 not being root fails instead. */
export function requireRoot(ctx: SkipContext): void {
  if (isRoot) return;
  if (strict) throw new Error('BPFKIT_STRICT=1: real-kernel tests need root');
  ctx.skip('needs root');
}
