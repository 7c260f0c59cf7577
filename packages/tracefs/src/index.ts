export { tracefsPath, parseMountInfo, findTracefsInMounts } from './path.js';
export type { MountInfoEntry, TracefsPathOptions } from './path.js';
export {
  MAX_EVENT_NAME_LEN,
  isValidEventName,
  isValidGroupName,
  sanitizeSymbol,
  validateEventName,
  validateGroupName,
} from './names.js';
export { currentOwner, parseGroupOwner, randomGroup } from './owner.js';
export type { ProcessOwner } from './owner.js';
export { eventID } from './event-id.js';
export type { EventIDOptions } from './event-id.js';
export type { ProbeType } from './events-file.js';
export type { ProbeEvent } from './probe-event.js';
export { createKprobeEvent, kprobeToken } from './kprobe.js';
export type { KprobeEventOptions } from './kprobe.js';
export { createUprobeEvent, uprobeToken } from './uprobe.js';
export type { UprobeEventOptions } from './uprobe.js';
export { listEvents, removeStaleEvents } from './stale.js';
export type { ListedEvent, RemoveStaleEventsOptions, StaleEvent } from './stale.js';
export {
  BpfError,
  InvalidArgumentError,
  isNotExist,
  isNotSupported,
  NotSupportedError,
  SymbolNotFoundError,
  SyscallError,
} from '@bpfkit/errors';
