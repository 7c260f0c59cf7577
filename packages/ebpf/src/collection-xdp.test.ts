import { describe, expect, it } from 'vitest';
import { loadCollection } from './collection.js';
import { loadCollectionSpec } from './collection-spec.js';
import { ProgramType } from './types.js';
import { compileBpf } from '@bpfkit/testing';

const XDP_PORT_FILTER = `
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u16 blocked_port = 0;
__u64 dropped = 0;

SEC("xdp")
int drop_port(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP) return XDP_PASS;
  struct udphdr *udp = (void *)ip + ip->ihl * 4;
  if ((void *)(udp + 1) > end) return XDP_PASS;
  if (bpf_ntohs(udp->dest) != blocked_port) return XDP_PASS;
  __sync_fetch_and_add(&dropped, 1);
  return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
`;

const XDP_DROP = 1;
const XDP_PASS = 2;

/** Ethernet + IPv4 + UDP to 127.0.0.1:port (checksums are not checked by the program). */
function udpPacket(port: number): Uint8Array {
  const p = new Uint8Array(14 + 20 + 8 + 4);
  const v = new DataView(p.buffer);
  v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45);
  v.setUint16(16, 20 + 8 + 4);
  v.setUint8(22, 64);
  v.setUint8(23, 17);
  v.setUint32(26, 0x7f000001);
  v.setUint32(30, 0x7f000001);
  v.setUint16(34, 40000);
  v.setUint16(36, port);
  v.setUint16(38, 8 + 4);
  return p;
}

describe('an XDP program from C', () => {
  it('drops UDP to the port set in .rodata before load and counts the drops in .bss', () => {
    const spec = loadCollectionSpec(compileBpf(XDP_PORT_FILTER));
    expect(spec.programs.drop_port!.type).toBe(ProgramType.XDP);
    spec.variables.blocked_port!.set(9999);
    using coll = loadCollection(spec);
    const prog = coll.programs.drop_port!;
    expect(prog.testRun({ data: udpPacket(9999) }).retval).toBe(XDP_DROP);
    expect(prog.testRun({ data: udpPacket(9998) }).retval).toBe(XDP_PASS);
    expect(prog.testRun({ data: udpPacket(9999), repeat: 3 }).retval).toBe(XDP_DROP);
    expect(coll.variables.dropped!.getBigUint()).toBe(4n);
  });

  it('drops another port when loaded from the same spec with another setting', () => {
    const spec = loadCollectionSpec(compileBpf(XDP_PORT_FILTER));
    spec.variables.blocked_port!.set(53);
    using coll = loadCollection(spec);
    expect(coll.programs.drop_port!.testRun({ data: udpPacket(9999) }).retval).toBe(XDP_PASS);
    expect(coll.programs.drop_port!.testRun({ data: udpPacket(53) }).retval).toBe(XDP_DROP);
  });
});
