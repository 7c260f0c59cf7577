import { loadCollection, loadCollectionSpec } from '@bpfkit/ebpf';
import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';
import { Topology } from '@bpfkit/netlink';
import { compileBpf, requireRoot, thrown } from '@bpfkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attach, attachAll } from './attach-section.js';
import { leakChecks } from './testing/suite.js';
import { udpAcross } from './testing/network.js';
import { buildTargets, runTarget, type Targets } from './testing/uprobe-target.js';

const source = (binary: string): string => `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// Tracepoint programs run for every task: count this process only.
const volatile __u32 target_tgid = 0;
__u64 tp_hits = 0, uprobe_hits = 0, xdp_hits = 0;

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx) {
  if ((bpf_get_current_pid_tgid() >> 32) == target_tgid) __sync_fetch_and_add(&tp_hits, 1);
  return 0;
}

SEC("uprobe/${binary}:bpfkit_one")
int on_one(void *ctx) {
  __sync_fetch_and_add(&uprobe_hits, 1);
  return 0;
}

SEC("xdp")
int on_xdp(struct xdp_md *ctx) {
  __sync_fetch_and_add(&xdp_hits, 1);
  return XDP_PASS;
}

SEC("socket")
int filter(void *ctx) {
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

describe('attach by section name', () => {
  const track = leakChecks();
  let targets: Targets;
  beforeAll(() => {
    targets = buildTargets();
  });
  afterAll(() => targets?.remove());

  const load = () => {
    const spec = loadCollectionSpec(compileBpf(source(targets.pie)));
    spec.variables.target_tgid!.set(process.pid);
    const coll = loadCollection(spec);
    for (const p of Object.values(coll.programs)) track(p);
    return coll;
  };

  it('attachAll attaches a tracepoint, a uprobe on a test binary and an XDP program; each fires until closed', async (ctx) => {
    requireRoot(ctx);
    using coll = load();
    using topo = new Topology();
    const links = attachAll(coll, { interface: topo.host.name });
    expect(Object.keys(links).sort()).toEqual(['on_getppid', 'on_one', 'on_xdp']);
    const hits = () => ['tp_hits', 'uprobe_hits', 'xdp_hits'].map((v) => coll.variables[v]!.getBigUint());
    const fire = async () => {
      for (let i = 0; i < 3; i++) void process.ppid;
      runTarget(targets.pie, 4);
      await udpAcross(topo, 'peer', 5);
    };
    await fire();
    for (const l of Object.values(links)) l.close();
    const [tp, uprobe, xdp] = hits();
    expect(tp).toBe(3n);
    expect(uprobe).toBe(4n);
    expect(xdp).toBeGreaterThanOrEqual(5n);
    await fire();
    expect(hits()).toEqual([tp, uprobe, xdp]);
  });

  it('attachAll leaves out programs whose section needs more than the options give', (ctx) => {
    requireRoot(ctx);
    using coll = load();
    const links = attachAll(coll);
    expect(Object.keys(links).sort()).toEqual(['on_getppid', 'on_one']);
    for (const l of Object.values(links)) l.close();
  });

  it('attach() says what is missing or unsupported', (ctx) => {
    requireRoot(ctx);
    using coll = load();
    const noInterface = thrown(() => attach(coll.programs.on_xdp!));
    expect(noInterface).toBeInstanceOf(InvalidArgumentError);
    expect(String(noInterface)).toMatch(/attach on_xdp \(section xdp\).*pass interface/);
    const socket = thrown(() => attach(coll.programs.filter!));
    expect(socket).toBeInstanceOf(NotSupportedError);
    expect(String(socket)).toMatch(/attachSocketFilter/);
    using clone = coll.programs.on_getppid!.clone();
    expect(thrown(() => attach(clone))).toBeInstanceOf(InvalidArgumentError);
  });
});
