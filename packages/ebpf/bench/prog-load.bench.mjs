// Program load cost: Program.load of a 2-instruction program (baseline) vs the counter program,
// next to the raw @bpfkit/sys progLoad of the same bytes (what the Program wrapper adds), and a
// tp_btf load (kernel BTF resolution, cached after the first). Load + close per iteration.
// Run after building: node bench/prog-load.bench.mjs [iterations]
import * as sys from '@bpfkit/sys';
import { AttachType, asm, counterProgram, Map, MapType, Program, ProgramType } from '../dist/index.js';

const N = Number(process.argv[2] ?? 2000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];

function measure(fn) {
  for (let i = 0; i < 20; i++) fn();
  const t = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return t;
}

const map = Map.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
const ret0 = [asm.mov64('r0', 0), asm.exit()];
const ret0Bytes = asm.encode(ret0);
const counter = counterProgram(map);
const counterBytes = asm.encode(counter);
const rawLoad = (insns) => () => sys.progLoad({ progType: ProgramType.SocketFilter, insns, license: 'GPL' }).close();

const coldTpBtf = process.hrtime.bigint();
Program.load({ type: ProgramType.Tracing, attachType: AttachType.TraceRawTp, attachTo: 'sys_enter', instructions: ret0, license: 'GPL' }).close();
const coldTpBtfUs = Number(process.hrtime.bigint() - coldTpBtf) / 1000;

const rows = [
  ['sys.progLoad 2 insns (raw baseline)', measure(rawLoad(ret0Bytes))],
  ['Program.load 2 insns (asm)', measure(() => Program.load({ type: ProgramType.SocketFilter, instructions: ret0, license: 'GPL' }).close())],
  ['sys.progLoad counter, 11 slots (raw)', measure(rawLoad(counterBytes))],
  ['Program.load counter (asm, map fd)', measure(() => Program.load({ type: ProgramType.SocketFilter, instructions: counter, license: 'GPL' }).close())],
  ['Program.load tp_btf sys_enter (BTF cached)', measure(() => Program.load({ type: ProgramType.Tracing, attachType: AttachType.TraceRawTp, attachTo: 'sys_enter', instructions: ret0, license: 'GPL' }).close())],
];
map.close();
const base = median(rows[0][1]);
console.log(`program load + close, ${N} iterations each (µs)`);
for (const [name, t] of rows) {
  console.log(`  ${name.padEnd(44)} median ${median(t).toFixed(1).padStart(7)}  p99 ${p99(t).toFixed(1).padStart(7)}  x${(median(t) / base).toFixed(2)} of baseline`);
}
console.log(`  first tp_btf load in this process (reads and parses vmlinux BTF): ${(coldTpBtfUs / 1000).toFixed(2)} ms`);
