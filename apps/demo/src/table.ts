import type { AttachKind } from '@bpfkit/link';

export type Status = 'attaching' | 'waiting' | 'fired' | 'failed' | 'not supported' | 'not implemented';

export interface RowResult {
  kind: string;
  feature: AttachKind;
  hook: string;
  status: Status;
  mechanism?: string;
  hits?: bigint;
  /** Hits the row knows it must see (the self-watching uprobe). */
  expected?: bigint;
  /** Why it failed or is not supported; what is missing when not implemented. */
  reason?: string;
}

export function statusText(r: RowResult): string {
  switch (r.status) {
    case 'attaching':
      return '… attaching';
    case 'waiting':
      return '… waiting for a hit';
    case 'fired':
      return '✓ fired';
    case 'failed':
      return `✗ failed: ${r.reason}`;
    case 'not supported':
      return `not supported: ${r.reason}`;
    case 'not implemented':
      return `not implemented yet in @bpfkit/link (${r.reason})`;
  }
}

function hitsText(r: RowResult): string {
  if (r.hits === undefined) return '-';
  return r.expected === undefined ? String(r.hits) : `${r.hits}/${r.expected}`;
}

const HEADER = ['KIND', 'MECHANISM', 'HITS', 'STATUS'];

/** The table as lines: the header, then one line per row; each cut to `width` columns when given. */
export function tableLines(rows: readonly RowResult[], width?: number): string[] {
  const cells = rows.map((r) => [r.kind, r.mechanism ?? '-', hitsText(r), statusText(r)]);
  const widths = HEADER.slice(0, 3).map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => {
    const text = `${c[0]!.padEnd(widths[0]!)}  ${c[1]!.padEnd(widths[1]!)}  ${c[2]!.padStart(widths[2]!)}  ${c[3]}`;
    return width !== undefined && text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  };
  return [line(HEADER), ...cells.map(line)];
}

/** A table redrawn in place on a terminal. */
export class LiveTable {
  readonly #out: NodeJS.WriteStream;
  #drawn = 0;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  draw(rows: readonly RowResult[]): void {
    // A pty without a size reports 0 columns: no cut then.
    const lines = tableLines(rows, this.#out.columns > 0 ? this.#out.columns : undefined);
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : '';
    this.#out.write(up + lines.map((l) => `\x1b[2K${l}\n`).join(''));
    this.#drawn = lines.length;
  }
}

/** The --json form of a run: hits as numbers. */
export function jsonResult(rows: readonly RowResult[], extra: Record<string, unknown>): string {
  const plain = rows.map((r) => ({
    kind: r.kind,
    feature: r.feature,
    status: r.status,
    mechanism: r.mechanism ?? null,
    hits: r.hits === undefined ? null : Number(r.hits),
    ...(r.expected === undefined ? {} : { expected: Number(r.expected) }),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    hook: r.hook,
  }));
  return JSON.stringify({ ...extra, rows: plain }, null, 2);
}
