// Which attach functions @bpfkit/link has: a row whose function is missing shows "not
// implemented yet", so the demo tells the truth about the library it runs against.
import * as link from '@bpfkit/link';

const exported = link as unknown as Record<string, unknown>;

/** The names in `needs` that @bpfkit/link does not export as functions. */
export function missingExports(needs: readonly string[]): string[] {
  return needs.filter((name) => typeof exported[name] !== 'function');
}

/** An export of @bpfkit/link that may not exist yet, typed by the caller from API.md. */
export function libraryFunction<F>(name: string): F {
  const fn = exported[name];
  if (typeof fn !== 'function') throw new Error(`@bpfkit/link exports no ${name}`);
  return fn as F;
}
