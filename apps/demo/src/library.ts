// Which attach functions @bpfkit/link has: a row whose function is missing shows "not
// implemented yet", so the demo tells the truth about the library it runs against.
import * as link from '@bpfkit/link';

const exported = link as unknown as Record<string, unknown>;

/** Whether `name` (an export, or `Class.method`) is a function of @bpfkit/link. */
function hasFunction(name: string): boolean {
  const [exportName, method] = name.split('.') as [string, string | undefined];
  const value = exported[exportName];
  if (method === undefined) return typeof value === 'function';
  return typeof value === 'function' && typeof (value.prototype as Record<string, unknown> | undefined)?.[method] === 'function';
}

/** The names in `needs` (exports, or `Class.method`) that @bpfkit/link lacks. */
export function missingExports(needs: readonly string[]): string[] {
  return needs.filter((name) => !hasFunction(name));
}
