import { Errno, InvalidArgumentError, SyscallError } from '@bpfkit/errors';
import { AttachType, ProgramType } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import { resolveInterface, type InterfaceRef } from './interface.js';
import { createLink, RawLink, type RawLinkInit } from './link.js';
import { typedProgramFd, type ProgramRef } from './program-ref.js';

/** XDP_FLAGS_*_MODE: which XDP mode to attach in. Without one the kernel picks driver mode where the driver has it, else generic. */
export const XDPAttachFlags = { GenericMode: 1 << 1, DriverMode: 1 << 2, OffloadMode: 1 << 3 } as const;
export type XDPAttachFlags = (typeof XDPAttachFlags)[keyof typeof XDPAttachFlags];

/** An XDP mode by name, for the `modes` ladder of attachXDP. */
export type XDPMode = 'driver' | 'generic' | 'offload';

const MODE_FLAGS: Record<XDPMode, number> = { driver: XDPAttachFlags.DriverMode, generic: XDPAttachFlags.GenericMode, offload: XDPAttachFlags.OffloadMode };
const ALL_MODES = XDPAttachFlags.GenericMode | XDPAttachFlags.DriverMode | XDPAttachFlags.OffloadMode;

/** Answers meaning "not in this mode on this device" (a ladder tries the next mode); others end the ladder. */
// ERANGE: the MTU is too large for native XDP (veth among others).
const MODE_REFUSALS = new Set<number>([Errno.EINVAL, Errno.ERANGE, Errno.EOPNOTSUPP, Errno.ENOTSUPP]);

export interface XDPOptions {
  /** An XDP program. */
  program: ProgramRef;
  /** An interface index or name, e.g. 'eth0'. */
  interface: InterfaceRef;
  /** XDPAttachFlags; used as given (the default 0 lets the kernel pick the mode). */
  flags?: number;
  /**
   * Opt-in mode ladder: try each mode in order and keep the first the device accepts, e.g.
   * `['driver', 'generic']`. `link.mode` says which held. Mode bits in `flags` cannot be combined with it.
   */
  modes?: readonly XDPMode[];
}

/** An XDP program attached to a network interface through a bpf_link. */
export class XDPLink extends RawLink {
  /** The mode it was attached in: from `modes` or the mode bit of `flags`; undefined when the kernel chose. */
  readonly mode: XDPMode | undefined;

  /** @internal */
  constructor(fd: sys.FD, init: RawLinkInit & { mode?: XDPMode } = {}) {
    super(fd, init);
    this.mode = init.mode;
  }

  protected override get label(): string {
    return 'XDP link';
  }
}

function checkModes(modes: unknown, flags: number, what: string): XDPMode[] | undefined {
  if (modes === undefined) return undefined;
  if (!Array.isArray(modes) || modes.length === 0) throw new InvalidArgumentError('modes', `${what}: expected a non-empty array of 'driver', 'generic' or 'offload'`);
  for (const m of modes) {
    if (!Object.hasOwn(MODE_FLAGS, m)) throw new InvalidArgumentError('modes', `${what}: ${String(m)} is not an XDP mode ('driver', 'generic' or 'offload')`);
  }
  if (new Set(modes).size !== modes.length) throw new InvalidArgumentError('modes', `${what}: ${modes.join(', ')} names a mode twice`);
  if (flags & ALL_MODES) throw new InvalidArgumentError('flags', `${what}: flags 0x${flags.toString(16)} already choose a mode; give either mode flags or modes`);
  return modes as XDPMode[];
}

function modeOf(flags: number): XDPMode | undefined {
  return (Object.keys(MODE_FLAGS) as XDPMode[]).find((m) => flags & MODE_FLAGS[m]);
}

/** Attach an XDP program to an interface (kernel 5.9+). */
export function attachXDP(opts: XDPOptions): XDPLink {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach XDP: must be an object');
  const progFd = typedProgramFd(opts.program, 'attach XDP', { XDP: ProgramType.XDP });
  const flags = opts.flags ?? 0;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) throw new InvalidArgumentError('flags', `attach XDP: ${flags} is not a 32-bit unsigned integer`);
  const modes = checkModes(opts.modes, flags, 'attach XDP');
  const ifindex = resolveInterface(opts.interface, 'attach XDP');
  const where = `attach XDP to ${typeof opts.interface === 'string' ? `${opts.interface} (ifindex ${ifindex})` : `ifindex ${ifindex}`}`;
  sys.haveBPFLink();
  if (!modes) {
    const fd = createLink({ progFd, targetIfindex: ifindex, attachType: AttachType.XDP, flags }, where);
    return new XDPLink(fd, { mode: modeOf(flags) });
  }
  const refused: string[] = [];
  for (let i = 0; ; i++) {
    const mode = modes[i]!;
    try {
      const fd = createLink({ progFd, targetIfindex: ifindex, attachType: AttachType.XDP, flags: flags | MODE_FLAGS[mode] }, `${where} in ${mode} mode`);
      return new XDPLink(fd, { mode });
    } catch (err) {
      if (!(err instanceof SyscallError)) throw err;
      if (i < modes.length - 1 && MODE_REFUSALS.has(err.errno)) {
        refused.push(`${mode} mode refused with ${err.code}`);
        continue;
      }
      if (refused.length === 0) throw err;
      throw new SyscallError(err.syscall, err.errno, { context: `${where}: ${refused.join(', ')}; ${mode} mode`, hint: err.hint, cause: err });
    }
  }
}
