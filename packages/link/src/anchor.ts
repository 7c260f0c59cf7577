import { InvalidArgumentError } from '@bpfkit/errors';
import * as sys from '@bpfkit/sys';
import { programFd, type ProgramRef } from './program-ref.js';

const { Replace, Before, After, ID, Link: LINK } = sys.AttachFlags;

/** The flags an Anchor sets; callers may not pass them in `flags` themselves. */
export const ANCHOR_FLAGS = Replace | Before | After | ID | LINK;

type Target =
  | { kind: 'none' }
  | { kind: 'program'; program: ProgramRef }
  | { kind: 'link'; link: { readonly fd: number } }
  | { kind: 'id'; id: number };

/**
 * Where a program goes among the others at an mprog hook (TCX, netkit) or which one it replaces
 * (PROG_ATTACH). Made by the functions below: a program, a link and their IDs are told apart by the
 * factory, never by the type of a number.
 */
export class Anchor {
  readonly #target: Target;
  readonly #flags: number;
  readonly #name: string;

  /** @internal Use head(), tail(), beforeLink(), ... */
  constructor(target: Target, flags: number, name: string) {
    this.#target = target;
    this.#flags = flags;
    this.#name = name;
  }

  /** The fd or ID and the flags for the attr; throws when the target is closed or unusable. */
  resolve(what: string): { fdOrId: number; flags: number } {
    const t = this.#target;
    switch (t.kind) {
      case 'none':
        return { fdOrId: 0, flags: this.#flags };
      case 'program':
        return { fdOrId: programFd(t.program, `${what}: anchor ${this.#name}`, 'anchor'), flags: this.#flags };
      case 'link': {
        const fd = t.link.fd;
        if (fd < 0) throw new InvalidArgumentError('anchor', `${what}: anchor ${this.#name}: the link is closed or has no link fd`);
        return { fdOrId: fd, flags: this.#flags };
      }
      case 'id':
        return { fdOrId: t.id, flags: this.#flags };
    }
  }

  /** Whether this anchor replaces a program rather than placing one. */
  get replaces(): boolean {
    return (this.#flags & Replace) !== 0;
  }

  toString(): string {
    return this.#name;
  }
}

function checkId(id: number, kind: string): number {
  if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) throw new InvalidArgumentError('anchor', `${id} is not a ${kind} ID`);
  return id;
}

function linkTarget(link: { readonly fd: number }, name: string): Target {
  if (typeof link !== 'object' || link === null || typeof link.fd !== 'number') {
    throw new InvalidArgumentError('anchor', `${name}: expected a Link`);
  }
  return { kind: 'link', link };
}

function programTarget(program: ProgramRef, name: string): Target {
  programFd(program, name, 'anchor');
  return { kind: 'program', program };
}

/** First at the hook. */
export const head = (): Anchor => new Anchor({ kind: 'none' }, Before, 'head()');
/** Last at the hook (the kernel's default with no anchor). */
export const tail = (): Anchor => new Anchor({ kind: 'none' }, After, 'tail()');
export const beforeLink = (link: { readonly fd: number }): Anchor => new Anchor(linkTarget(link, 'beforeLink'), Before | LINK, 'beforeLink');
export const afterLink = (link: { readonly fd: number }): Anchor => new Anchor(linkTarget(link, 'afterLink'), After | LINK, 'afterLink');
export const beforeLinkByID = (id: number): Anchor =>
  new Anchor({ kind: 'id', id: checkId(id, 'link') }, Before | LINK | ID, `beforeLinkByID(${id})`);
export const afterLinkByID = (id: number): Anchor =>
  new Anchor({ kind: 'id', id: checkId(id, 'link') }, After | LINK | ID, `afterLinkByID(${id})`);
export const beforeProgram = (program: ProgramRef): Anchor => new Anchor(programTarget(program, 'beforeProgram'), Before, 'beforeProgram');
export const afterProgram = (program: ProgramRef): Anchor => new Anchor(programTarget(program, 'afterProgram'), After, 'afterProgram');
export const replaceProgram = (program: ProgramRef): Anchor => new Anchor(programTarget(program, 'replaceProgram'), Replace, 'replaceProgram');
export const beforeProgramByID = (id: number): Anchor =>
  new Anchor({ kind: 'id', id: checkId(id, 'program') }, Before | ID, `beforeProgramByID(${id})`);
export const afterProgramByID = (id: number): Anchor =>
  new Anchor({ kind: 'id', id: checkId(id, 'program') }, After | ID, `afterProgramByID(${id})`);
export const replaceProgramByID = (id: number): Anchor =>
  new Anchor({ kind: 'id', id: checkId(id, 'program') }, Replace | ID, `replaceProgramByID(${id})`);

/** Rejects anchor bits in a caller's `flags` (they come from the Anchor). */
export function checkNoAnchorFlags(flags: number | undefined, what: string): number {
  const f = flags ?? 0;
  if (!Number.isInteger(f) || f < 0 || f > 0xffffffff) throw new InvalidArgumentError('flags', `${what}: ${f} is not a 32-bit unsigned integer`);
  if (f & ANCHOR_FLAGS) throw new InvalidArgumentError('flags', `${what}: disallowed flags 0x${(f & ANCHOR_FLAGS).toString(16)}: use an anchor to specify the attach position`);
  return f;
}
