import { constants, openSync } from 'node:fs';
import { Errno, fromNodeError, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { createLink, RawLink } from './link.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';

/** An SkLookup or FlowDissector program attached to a network namespace. */
export class NetNsLink extends RawLink {
  protected override get label(): string {
    return 'netns link';
  }
}

/** A network namespace fd, or a path such as /proc/self/ns/net or /run/netns/<name>. */
export type NetNsTarget = number | string;

const ATTACH_TYPES: Record<number, number> = {
  [sys.ProgType.FlowDissector]: sys.AttachType.FlowDissector,
  [sys.ProgType.SkLookup]: sys.AttachType.SkLookup,
};

/** Attach an SkLookup or FlowDissector program to a network namespace (BPF_LINK_CREATE, 5.8+). */
export function attachNetNs(ns: NetNsTarget, program: ProgramRef): NetNsLink {
  const what = `attach program to network namespace ${String(ns)}`;
  typedProgramFd(program, what, { SkLookup: sys.ProgType.SkLookup, FlowDissector: sys.ProgType.FlowDissector });
  const attachType = ATTACH_TYPES[program.type]!;
  const nsFd = openNetNs(ns, what);
  try {
    sys.haveBPFLink();
    return new NetNsLink(createLink({ progFd: program.fd, targetFd: nsFd.fd, attachType }, what));
  } finally {
    nsFd.close();
  }
}

function openNetNs(ns: NetNsTarget, what: string): sys.FD {
  let fd: sys.FD;
  if (typeof ns === 'number') {
    if (!Number.isInteger(ns) || ns < 0) throw new InvalidArgumentError('ns', `${what}: ${ns} is not a file descriptor`);
    fd = new sys.FD(sys.dupFd(ns), 'netns');
  } else if (typeof ns === 'string' && ns !== '') {
    try {
      fd = new sys.FD(openSync(ns, constants.O_RDONLY), 'netns');
    } catch (err) {
      throw fromNodeError(err, `open(${ns})`, { context: what });
    }
  } else {
    throw new InvalidArgumentError('ns', `${what}: expected a netns fd or a path such as /proc/self/ns/net`);
  }
  try {
    if (nsType(fd.fd) !== sys.Ns.CLONE_NEWNET) throw new InvalidArgumentError('ns', `${what}: ${String(ns)} is not a network namespace`);
  } catch (err) {
    fd.close();
    throw err;
  }
  return fd;
}

const NS_GET_NSTYPE = 0xb703;

/** The CLONE_NEW* type of a namespace fd (also one opened through a bind mount such as /run/netns/x); undefined for other files. */
function nsType(fd: number): number | undefined {
  try {
    return sys.ioctl(fd, NS_GET_NSTYPE, 0);
  } catch (err) {
    if (err instanceof SyscallError && (err.errno === Errno.ENOTTY || err.errno === Errno.EINVAL)) return undefined;
    throw err;
  }
}
