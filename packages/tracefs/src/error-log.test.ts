import { describe, expect, it } from 'vitest';
import { describeEntry, findNewEntry, parseErrorLog } from './error-log.js';

const LOG = `[  460.252950] trace_uprobe: error: There is already the exact same probe event
  Command: p:tfxtest/target /tmp/tfx/t:0x1139
           ^
[  460.256713] trace_uprobe: error: Failed to find the given file
  Command: p:tfxtest/b /tmp/tfx/nonexist:0x1139
                       ^
`;

describe('error_log', () => {
  it('parses entries with the caret position', () => {
    const entries = parseErrorLog(LOG);
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({
      source: 'trace_uprobe',
      message: 'Failed to find the given file',
      command: 'p:tfxtest/b /tmp/tfx/nonexist:0x1139',
      position: 12,
    });
    expect(describeEntry(entries[1]!)).toBe("kernel: Failed to find the given file (at '/tmp/tfx/nonexist:0x1139')");
    expect(describeEntry({ ...entries[1]!, position: undefined })).toBe('kernel: Failed to find the given file');
  });

  it('skips text that is not an entry', () => {
    expect(parseErrorLog('')).toEqual([]);
    expect(parseErrorLog('garbage\n[ 1.0] x: error: y\nno command line\n')).toEqual([]);
  });

  it('only takes an entry logged after the first read, for the same command', () => {
    const before = parseErrorLog(LOG);
    const fresh = `[  470.000001] trace_uprobe: error: Failed to find the given file
  Command: p:tfxtest/b /tmp/tfx/nonexist:0x1139
                       ^
`;
    const command = 'p:tfxtest/b /tmp/tfx/nonexist:0x1139';
    // Same command failed before: the old entry must not be reported for this failure.
    expect(findNewEntry(before, before, command)).toBeUndefined();
    const after = parseErrorLog(LOG + fresh);
    expect(findNewEntry(before, after, command)?.raw).toContain('470.000001');
    expect(findNewEntry(before, after, 'p:other/x /bin/true:0x1')).toBeUndefined();
    // The log was cleared or rotated past the old entries: everything is new.
    expect(findNewEntry(before, parseErrorLog(fresh), command)?.raw).toContain('470.000001');
    expect(findNewEntry([], after, command)?.raw).toContain('470.000001');
  });
});
