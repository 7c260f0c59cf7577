import { closeSync, openSync } from 'node:fs';
import { ProgramType, type Map as BpfMap } from '@bpfkit/ebpf';
import { openExecutable, type UprobeLink } from '@bpfkit/link';
import { readCounter, type DemoKind } from './kind.js';

const name = 'uprobe/self';
/** libuv's uv_fs_open: fs.openSync and fs.open call it on the JS thread. */
const SYMBOL = 'uv_fs_open';
const OPENS = 5;

interface State {
  mechanism: string;
  link: UprobeLink;
  map: BpfMap;
  made: bigint;
  seen: bigint;
}

/**
 * The demo watches itself: a uprobe on uv_fs_open inside the running node binary, for this
 * process only. Each trigger opens files synchronously, so nothing else can run in between, and
 * the program must have run exactly once per open.
 */
export const uprobeSelf: DemoKind<State> = {
  name,
  feature: 'uprobe',
  needs: ['openExecutable', 'Executable.uprobe'],
  hook: `${SYMBOL} in this node process (${process.execPath}); its JavaScript calls fs.openSync`,
  setup(env) {
    const map = env.counter(name);
    const program = env.counting(name, map, { type: ProgramType.Kprobe });
    const exe = openExecutable(process.execPath);
    const link = env.own(`${name} link`, exe.uprobe(SYMBOL, program, { pid: process.pid }));
    return { mechanism: link.mechanism, link, map, made: 0n, seen: 0n };
  },
  trigger(state) {
    const before = readCounter(state);
    for (let i = 0; i < OPENS; i++) closeSync(openSync('/dev/null', 'r'));
    state.seen += readCounter(state) - before;
    state.made += BigInt(OPENS);
  },
  count: (state) => state.seen,
  expected: (state) => state.made,
  cleanup: (state) => state.link.close(),
};
