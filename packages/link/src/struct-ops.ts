import { InvalidArgumentError } from '@bpfkit/errors';
import { AttachType, MapType } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import { createLink, notSupportedOr, RawLink } from './link.js';
import { mapFd, type MapRef, type ProgramRef } from './program-ref.js';

export interface StructOpsOptions {
  /** A StructOps map created with MapFlags.Link whose value (its callbacks) has been set. */
  map: MapRef;
}

/** `enum bpf_struct_ops_state`: READY once the map's value has been stored. */
const STATE_READY = 3;
/** Offset of `state` in the value (after the refcount), on every kernel. */
const STATE_OFFSET = 4;

/** The map's fd after checking it is a struct_ops map made for links with its callbacks set. */
function structOpsMapFd(map: unknown, what: string, argument: string): number {
  const fd = mapFd(map, what, argument);
  if (sys.bpfObjectKind(fd) !== 'map') throw new InvalidArgumentError(argument, `${what}: expected a struct_ops Map, got a BPF ${sys.bpfObjectKind(fd)}`);
  const info = sys.mapInfo(fd);
  if (info.type !== MapType.StructOpsMap) throw new InvalidArgumentError(argument, `${what}: map ${info.name || info.id} is of type ${info.type}, not StructOpsMap (${MapType.StructOpsMap})`);
  const name = info.name || `ID ${info.id}`;
  if ((info.flags & sys.MapFlags.Link) === 0) {
    throw new InvalidArgumentError(argument, `${what}: struct_ops map ${name} was created without MapFlags.Link, so it registers on update and cannot be attached as a link`);
  }
  const value = new Uint8Array(info.valueSize);
  if (!sys.mapLookupElem(fd, new Uint8Array(4), value) || new DataView(value.buffer).getUint32(STATE_OFFSET, true) !== STATE_READY) {
    throw new InvalidArgumentError(argument, `${what}: struct_ops map ${name} has no callbacks yet: store its value (structOpsValue) at key 0 first`);
  }
  return fd;
}

/** A struct_ops map registered with the kernel through a bpf_link; closing it unregisters the struct. */
export class StructOpsLink extends RawLink {
  protected override get label(): string {
    return 'struct_ops link';
  }

  /** Swap in another struct_ops map of the same struct (kernel 6.4+), atomically; a program is rejected. */
  override update(map: MapRef | ProgramRef): void {
    const what = `update ${this.label}`;
    if (map == null) throw new InvalidArgumentError('map', `${what}: a struct_ops map is required`);
    const newMapFd = structOpsMapFd(map, what, 'map');
    const linkFd = this.openFd('update');
    try {
      // link_update.new_map_fd aliases new_prog_fd.
      sys.linkUpdate({ linkFd, newProgFd: newMapFd });
    } catch (err) {
      throw notSupportedOr(err, what, `updating a ${this.label}`);
    }
  }
}

/** Register a struct_ops map (e.g. a BPF tcp_congestion_ops) through a bpf_link (kernel 6.4+). */
export function attachStructOps(opts: StructOpsOptions): StructOpsLink {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('options', 'attach struct_ops: must be an object');
  const what = 'attach struct_ops';
  const fd = structOpsMapFd(opts.map, what, 'map');
  sys.haveBPFLink();
  return new StructOpsLink(createLink({ kind: 'structOps', mapFd: fd, progFd: 0, attachType: AttachType.StructOps }, `${what} map ${sys.mapInfo(fd).name || fd}`));
}
