import type { AttachKind } from '@bpfkit/link';
import type { Attached, DemoKind } from './kind.js';

/**
 * A row whose attach function has not landed in @bpfkit/link: it shows "not implemented yet".
 * Should the function appear before the demo learns to fire it, the row fails saying so, never a ✓.
 */
export function pending(name: string, feature: AttachKind, needs: readonly string[], hook: string): DemoKind<Attached> {
  return {
    name,
    feature,
    needs,
    hook,
    setup() {
      throw new Error(`@bpfkit/link has ${needs.join(', ')} now, but the demo cannot fire ${name} yet`);
    },
    trigger: () => undefined,
    count: () => 0n,
    cleanup: () => undefined,
  };
}
