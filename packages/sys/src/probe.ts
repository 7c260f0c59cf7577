import { BpfError, isNotSupported, NotSupportedError } from '@bpfkit/errors';
import { release } from 'node:os';

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

/**
 * Parses a kernel release string: `6.1.0-56-amd64` → 6.1.0, `6.12.117+deb12-amd64` → 6.12.117,
 * Ubuntu's `5.15.0-91-generic` → 5.15.0. The patch level is clamped to 255 as the kernel's
 * KERNEL_VERSION() does.
 */
export function parseKernelRelease(rel: string): KernelVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(rel);
  if (!m) throw new BpfError(`cannot parse kernel release ${JSON.stringify(rel)}`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Math.min(Number(m[3] ?? 0), 255) };
}

let running: KernelVersion | undefined;

/** The running kernel's release string (uname -r). */
export function kernelRelease(): string {
  return release();
}

/** The running kernel's version, from uname's release. */
export function kernelVersion(): KernelVersion {
  return (running ??= parseKernelRelease(kernelRelease()));
}

/** -1, 0 or 1 as `a` is older than, equal to or newer than `b` ("6.1" or "6.1.12"). */
export function compareVersions(a: KernelVersion | string, b: KernelVersion | string): number {
  const x = typeof a === 'string' ? parseKernelRelease(a) : a;
  const y = typeof b === 'string' ? parseKernelRelease(b) : b;
  return Math.sign(x.major - y.major || x.minor - y.minor || x.patch - y.patch);
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * A memoised feature probe, as cilium's NewFeatureTest: `fn` returns normally when the feature
 * is there and throws NotSupportedError (or EOPNOTSUPP) when it is not. Only conclusive results
 * are cached; any other error is rethrown as "detect support for <name>" and tried again next call.
 * A NotSupportedError from `fn` without a minimum kernel gets `minimumKernel`.
 */
export function probe<T>(name: string, fn: () => T, minimumKernel?: string): () => T {
  let cached: Outcome<T> | undefined;
  return () => {
    if (!cached) {
      try {
        cached = { ok: true, value: fn() };
      } catch (err) {
        if (!isNotSupported(err)) throw new BpfError(`detect support for ${name}: ${(err as Error).message}`, { cause: err });
        cached = { ok: false, error: normalise(name, err, minimumKernel) };
      }
    }
    if (cached.ok) return cached.value;
    throw cached.error;
  };
}

function normalise(name: string, err: unknown, minimumKernel: string | undefined): NotSupportedError {
  if (err instanceof NotSupportedError && (err.minimumKernel || !minimumKernel)) return err;
  const e = err instanceof NotSupportedError ? err : undefined;
  return new NotSupportedError(e?.feature ?? name, {
    minimumKernel: e?.minimumKernel ?? minimumKernel,
    missingConfig: e?.missingConfig,
    refusal: e?.refusal,
    detail: e?.detail,
    cause: err,
  });
}
