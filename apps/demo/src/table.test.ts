import { describe, expect, it } from 'vitest';
import { jsonResult, tableLines, type RowResult } from './table.js';

const rows: RowResult[] = [
  { kind: 'uprobe/self', feature: 'uprobe', hook: 'h', status: 'fired', mechanism: 'perf_event+bpf_link', hits: 5n, expected: 5n },
  { kind: 'kprobe', feature: 'kprobe', hook: 'h', status: 'not supported', reason: 'kernel built without CONFIG_KPROBES' },
  { kind: 'xdp', feature: 'xdp', hook: 'h', status: 'failed', mechanism: 'bpf_link', hits: 0n, reason: 'attached, but the hook never ran the program' },
  { kind: 'tcx', feature: 'tcx', hook: 'h', status: 'not implemented', reason: 'no attachTCX' },
];

describe('the table', () => {
  it('one aligned line per row, hits against what was expected, each status in words', () => {
    expect(tableLines(rows)).toEqual([
      'KIND         MECHANISM            HITS  STATUS',
      'uprobe/self  perf_event+bpf_link   5/5  ✓ fired',
      'kprobe       -                       -  not supported: kernel built without CONFIG_KPROBES',
      'xdp          bpf_link                0  ✗ failed: attached, but the hook never ran the program',
      'tcx          -                       -  not implemented yet in @bpfkit/link (no attachTCX)',
    ]);
  });

  it('cuts lines to the terminal width', () => {
    const lines = tableLines(rows, 40);
    expect(lines.every((l) => l.length <= 40)).toBe(true);
    expect(lines[2]).toBe('kprobe       -                       - …');
  });

  it('--json has the same rows, hits as numbers, null where nothing was attached', () => {
    const json = JSON.parse(jsonResult(rows, { ok: false })) as { ok: boolean; rows: Record<string, unknown>[] };
    expect(json.ok).toBe(false);
    expect(json.rows[0]).toEqual({ kind: 'uprobe/self', feature: 'uprobe', status: 'fired', mechanism: 'perf_event+bpf_link', hits: 5, expected: 5, hook: 'h' });
    expect(json.rows[1]).toEqual({ kind: 'kprobe', feature: 'kprobe', status: 'not supported', mechanism: null, hits: null, reason: 'kernel built without CONFIG_KPROBES', hook: 'h' });
  });
});
