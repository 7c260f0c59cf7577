import { cgroup } from './cgroup.js';
import { cgroupProgAttach } from './cgroup-prog-attach.js';
import { fentry } from './fentry.js';
import { fexit } from './fexit.js';
import { flowDissector } from './flow-dissector.js';
import { fmodRet } from './fmod-ret.js';
import { freplace } from './freplace.js';
import { iter } from './iter.js';
import type { Attached, DemoKind } from './kind.js';
import { kprobe } from './kprobe.js';
import { kprobeMulti } from './kprobe-multi.js';
import { kprobeSession } from './kprobe-session.js';
import { kretprobe } from './kretprobe.js';
import { kretprobeMulti } from './kretprobe-multi.js';
import { lsm } from './lsm.js';
import { netfilter } from './netfilter.js';
import { netkit } from './netkit.js';
import { perfEvent } from './perf-event.js';
import { rawTracepoint } from './raw-tracepoint.js';
import { skLookup } from './sk-lookup.js';
import { socketFilter } from './socket-filter.js';
import { structOps } from './struct-ops.js';
import { tcx } from './tcx.js';
import { tpBtf } from './tp-btf.js';
import { tracepoint } from './tracepoint.js';
import { uprobe } from './uprobe.js';
import { uprobeMulti } from './uprobe-multi.js';
import { uprobeSelf } from './uprobe-self.js';
import { uretprobe } from './uretprobe.js';
import { uretprobeMulti } from './uretprobe-multi.js';
import { usdt } from './usdt.js';
import { xdp } from './xdp.js';

/** Every row, in the order of the table: one per attach kind of @bpfkit/link, plus variants. */
export const KINDS: readonly DemoKind<Attached>[] = [
  cgroup,
  cgroupProgAttach,
  iter,
  kprobe,
  kretprobe,
  kprobeMulti,
  kretprobeMulti,
  kprobeSession,
  uprobe,
  uretprobe,
  uprobeMulti,
  uretprobeMulti,
  usdt,
  uprobeSelf,
  tracepoint,
  rawTracepoint,
  fentry,
  fexit,
  fmodRet,
  tpBtf,
  lsm,
  freplace,
  xdp,
  tcx,
  netkit,
  netfilter,
  skLookup,
  flowDissector,
  socketFilter,
  structOps,
  perfEvent,
] as DemoKind<Attached>[];
