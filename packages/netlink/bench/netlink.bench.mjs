// Cost of the rtnetlink helpers next to the alternatives they replace. Figures only, no assertions.
// Run: pnpm --filter @bpfkit/netlink bench   (as root, after a build)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createNetns, deleteNetns, ifindex, links, Topology, withNetns } from '../dist/index.js';

const ROUNDS = 3;

function measure(label, n, fn) {
  for (let i = 0; i < Math.min(n, 200); i++) fn();
  const results = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    results.push(Number(process.hrtime.bigint() - t0) / n / 1000);
  }
  results.sort((a, b) => a - b);
  console.log(`${label.padEnd(48)} median ${results[1].toFixed(1).padStart(9)} µs/call  (min ${results[0].toFixed(1)}, max ${results[2].toFixed(1)}, n=${n})`);
}

console.log(`node ${process.version}, ${links().length} links in this namespace`);
measure("ifindex('lo') (RTM_GETLINK, own socket)", 2000, () => ifindex('lo'));
measure("readFileSync('/sys/class/net/lo/ifindex')", 2000, () => Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8')));
measure("execFileSync('ip -j link show lo')", 20, () => JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'lo'], { encoding: 'utf8' }))[0].ifindex);
measure('links() (RTM_GETLINK dump)', 1000, () => links());
const ns = createNetns();
try {
  measure('withNetns(ns, () => 0) (two setns + open/close)', 2000, () => withNetns(ns, () => 0));
} finally {
  deleteNetns(ns);
}
measure('new Topology() + close()', 20, () => new Topology().close());
