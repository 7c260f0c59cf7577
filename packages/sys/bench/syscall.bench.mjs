// Per-call cost of sys's bpf() path next to a bare koffi syscall. Figures only, no assertions.
// Run: pnpm --filter @bpfkit/sys bench   (as root, after a build)
import koffi from 'koffi';
import * as sys from '../dist/index.js';

const N = Number(process.env.BENCH_N ?? 200_000);
const ROUNDS = 3;

function measure(label, fn) {
  for (let i = 0; i < 10_000; i++) fn(); // warm up the JIT and koffi's call path
  const results = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    results.push(Number(process.hrtime.bigint() - t0) / N);
  }
  results.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} median ${results[1].toFixed(0).padStart(6)} ns/call  (min ${results[0].toFixed(0)}, max ${results[2].toFixed(0)})`);
}

const libc = koffi.load('libc.so.6');
const rawSyscall = libc.func('long syscall(long nr)');
const SYS_getpid = process.arch === 'arm64' ? 172 : 39;

const map = sys.mapCreate({ mapType: sys.MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
const prog = sys.progLoad({
  progType: sys.ProgType.SocketFilter,
  insns: new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]),
  license: 'GPL',
});
const info = new Uint8Array(sys.MAP_INFO_SIZE);
const key = new Uint8Array(4);
const value = new Uint8Array(8);

console.log(`node ${process.version}, kernel ${sys.kernelRelease()}, ${N} calls x ${ROUNDS} rounds`);
measure('koffi syscall(SYS_getpid), bare', () => rawSyscall(SYS_getpid));
measure('sys.objGetInfoByFd(map) = bpf(BPF_OBJ_GET_INFO_BY_FD)', () => sys.objGetInfoByFd(map.fd, info));
measure('sys.mapLookupElem(array, key 0)', () => sys.mapLookupElem(map.fd, key, value));
measure('sys.mapInfo(map) (info call + decode)', () => sys.mapInfo(map.fd));
measure('sys.progInfo(prog) (info call + decode)', () => sys.progInfo(prog.fd));
map.close();
prog.close();
