import { readFileSync } from 'node:fs';

const CAPABILITIES = [
  { bit: 21, name: 'CAP_SYS_ADMIN', why: 'network namespaces, mounts, tracefs' },
  { bit: 12, name: 'CAP_NET_ADMIN', why: 'veth pairs, XDP, TCX, netfilter' },
  { bit: 1, name: 'CAP_DAC_OVERRIDE', why: 'cgroup directories and tracefs files owned by root' },
  { bit: 39, name: 'CAP_BPF', why: 'loading programs and maps' },
  { bit: 38, name: 'CAP_PERFMON', why: 'kprobes, uprobes, tracepoints, perf events' },
] as const;

function lastCap(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  } catch {
    return 40;
  }
}

/** Capabilities the demo needs and this process lacks (empty when it may run). */
export function missingPrivileges(status = readFileSync('/proc/self/status', 'utf8'), last = lastCap()): string[] {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const effective = hex === undefined ? 0n : BigInt(`0x${hex}`);
  // Before 5.8 there is no CAP_BPF or CAP_PERFMON: CAP_SYS_ADMIN covers them.
  return CAPABILITIES.filter((c) => c.bit <= last && (effective & (1n << BigInt(c.bit))) === 0n).map((c) => c.name);
}

export function privilegeMessage(missing: string[]): string {
  const lines = CAPABILITIES.filter((c) => missing.includes(c.name)).map((c) => `  ${c.name.padEnd(17)} ${c.why}`);
  return [
    'bpfkit-demo needs root: it loads eBPF programs, creates a network namespace, a veth pair and a cgroup,',
    'and writes tracefs. This process lacks:',
    ...lines,
    'Nothing was attempted. Run it as root, e.g. `sudo npm run demo`.',
  ].join('\n');
}
