// Figures, not assertions: @bpfkit/elf against the C/libelf anchors measured on this machine
// (../../shared/research/perf-baseline.md, section i/ELF). Run after `pnpm build`.
import { closeSync, openSync, readSync } from 'node:fs';
import { ElfFile } from '../dist/index.js';

const NODE = process.env.BENCH_ELF ?? '/usr/bin/node';
const RUNS = Number(process.env.BENCH_RUNS ?? 25);

function measure(label, anchorMs, fn) {
  for (let i = 0; i < 3; i++) fn();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const ratio = anchorMs ? `${(median / anchorMs).toFixed(2)}x libelf (${anchorMs} ms)` : '';
  console.log(
    `${label.padEnd(58)} median ${median.toFixed(2).padStart(7)} ms  [${times[0].toFixed(2)}–${times[times.length - 1].toFixed(2)}]  ${ratio}`,
  );
}

// Loops sum into a local: the module-level `sink` soon exceeds a small integer, and adding to it
// per symbol would allocate a heap number each time.
let sink = 0;
let localName = '';

// A function only .symtab has: the lookup must read .symtab and .strtab as well.
localName = withElf((elf) => elf.symbols().find((s) => s.type === 2 && s.binding === 0 && s.size > 0n && !s.name.includes('.'))?.name ?? 'main');

console.log(`@bpfkit/elf on ${NODE}, ${RUNS} runs each (node ${process.version})`);
/** Node 20 runs this file untranspiled, so no `using`. */
function withElf(fn) {
  const elf = ElfFile.open(NODE);
  try {
    return fn(elf);
  } finally {
    elf.close();
  }
}

measure('open + symbol("uv_run") (.dynsym)', 2.31, () => withElf((elf) => (sink += Number(elf.symbol('uv_run').offset))));
measure('open + symbol("napi_create_object") (.dynsym)', 2.6, () =>
  withElf((elf) => (sink += Number(elf.symbol('napi_create_object').offset))),
);
measure(`open + symbol(local .symtab function)`, undefined, () => withElf((elf) => (sink += Number(elf.symbol(localName).offset))));
measure('open + forEachSymbol (name + value of each)', 10.9, () =>
  withElf((elf) => {
    let n = 0;
    elf.forEachSymbol((s) => {
      n += s.name.length + (s.value & 1);
    });
    sink += n;
  }),
);
measure('open + iterate all symbols (name + value of each)', 10.9, () =>
  withElf((elf) => {
    let n = 0;
    for (const s of elf.symbols()) n += s.name.length + Number(s.value & 1n);
    for (const s of elf.dynamicSymbols()) n += s.name.length + Number(s.value & 1n);
    sink += n;
  }),
);
withElf((elf) => {
  const names = elf.dynamicSymbols().filter((s) => s.type === 2 && s.defined).slice(0, 1000).map((s) => s.name);
  measure('1000 lookups on one open file (name index)', undefined, () => {
    for (const n of names) sink += Number(elf.symbol(n).size);
  });
});

// Floors for the iteration case, to tell this package's cost from the platform's.
const tables = withElf((elf) =>
  ['.symtab', '.strtab', '.dynsym', '.dynstr'].map((n) => elf.section(n)).filter(Boolean).map((s) => [Number(s.offset), Number(s.size)]),
);
const scratch = Buffer.allocUnsafe(Math.max(...tables.map(([, n]) => n)));
measure('floor: pread the four symbol/string tables (reused buffer)', undefined, () => {
  const fd = openSync(NODE, 'r');
  for (const [o, n] of tables) readSync(fd, scratch, 0, n, o);
  closeSync(fd);
});
const count = withElf((elf) => elf.symbols().length + elf.dynamicSymbols().length);
const names = 'x'.repeat(64).concat('\0').repeat(1024);
class Floor {
  #t;
  constructor(t, i) {
    this.#t = t;
    this.index = i;
  }
  get name() {
    const o = (this.index & 1023) * 65;
    return this.#t.slice(o, this.#t.indexOf('\0', o));
  }
  get value() {
    return BigInt(this.index);
  }
}
measure(`floor: ${count} objects, a name slice + bigint each`, undefined, () => {
  const all = new Array(count);
  for (let i = 0; i < count; i++) all[i] = new Floor(names, i);
  let n = 0;
  for (const s of all) n += s.name.length + Number(s.value & 1n);
  sink += n;
});
console.log(sink > 0 ? '' : 'unexpected');
