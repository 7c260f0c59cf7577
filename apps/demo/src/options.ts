import { parseArgs } from 'node:util';

export interface DemoOptions {
  json: boolean;
  /** Row names or features() kinds to run; undefined: every row. */
  only?: string[];
  /** How long to keep triggering the hooks, in milliseconds. */
  durationMs: number;
  features: boolean;
  help: boolean;
}

export const USAGE = `usage: bpfkit-demo [--json] [--only kind,...] [--duration seconds] [--features]

Attaches one counting eBPF program through every attach kind of @bpfkit/link, makes each hook
fire, and shows the hits live. Needs root.

  --json              print the result (or with --features the report) as JSON
  --only kind,...     run only these rows (row names or features() kinds, e.g. cgroup,xdp)
  --duration seconds  how long to keep triggering the hooks (default 3)
  --features          print which attach kinds this kernel supports, and why not, then exit

Exit status: 0 when every kind this kernel supports fired; 1 when one of them failed to
attach or did not fire, or without the privileges it needs; 130/143 after SIGINT/SIGTERM.
A kind not implemented yet in @bpfkit/link is reported as such and does not fail the run.`;

/** Parses argv; throws Error with a message for the user on bad input. */
export function parseOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      duration: { type: 'string' },
      features: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  let durationMs = 3000;
  if (values.duration !== undefined) {
    const seconds = Number(values.duration);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
      throw new Error(`--duration: expected seconds between 0 and 3600, got ${JSON.stringify(values.duration)}`);
    }
    durationMs = Math.round(seconds * 1000);
  }
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  if (values.only !== undefined && only!.length === 0) throw new Error('--only: expected a comma-separated list of kinds');
  return { json: values.json!, durationMs, features: values.features!, help: values.help!, ...(only ? { only } : {}) };
}
