import { InvalidArgumentError, NotSupportedError } from '@bpfkit/errors';
import type { LinkInfo } from './info.js';
import type { Link, LinkMechanism } from './link.js';
import type { ProgramRef } from './program-ref.js';

/**
 * An attachment the kernel gives no bpf_link fd for (a perf event with SET_BPF before 5.15, a raw
 * tracepoint fd before 5.7, a group of links): `fd` is -1 and pin, unpin, detach, info and update
 * are NotSupportedError. Closing it detaches the program.
 */
export abstract class UnlinkedAttachment implements Link {
  readonly mechanism: LinkMechanism;
  readonly isPinned = false;

  constructor(mechanism: LinkMechanism) {
    this.mechanism = mechanism;
  }

  /** The kind's name in messages. */
  protected abstract get label(): string;
  /** Why there is no link fd, for messages. */
  protected abstract get why(): string;

  abstract readonly closed: boolean;
  abstract close(): void;
  abstract closeAsync(): Promise<void>;

  get fd(): number {
    return -1;
  }

  #unsupported(what: string): NotSupportedError {
    return new NotSupportedError(`${what} a ${this.label}`, { detail: `it has no link fd: ${this.why}` });
  }

  update(program: ProgramRef): void {
    if (program == null) throw new InvalidArgumentError('program', `update ${this.label}: a program is required`);
    throw this.#unsupported('updating');
  }

  pin(_path: string): void {
    throw this.#unsupported('pinning');
  }

  unpin(): void {
    throw this.#unsupported('unpinning');
  }

  detach(): void {
    throw this.#unsupported('detaching');
  }

  info(): LinkInfo {
    throw this.#unsupported('the info of');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
