import { InvalidArgumentError } from '@bpfkit/errors';

/**
 * The kernel's buffer for group and event names (trace_probe.h), NUL included. Kernel 6.x
 * rejects a 64-character event name ("Event name is too long"), older ones accepted it, so both
 * names are limited to 63 characters here.
 */
export const MAX_EVENT_NAME_LEN = 64;
export const MAX_NAME_CHARS = MAX_EVENT_NAME_LEN - 1;

/** The kernel's is_good_name(): a C identifier. */
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** cilium's validIdentifier: also allows '-' after the first character (tracepoint lookups). */
const TRACEPOINT_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function nameProblem(kind: 'group' | 'event', value: string): string | undefined {
  if (typeof value !== 'string' || value === '') return `${kind} name cannot be empty`;
  if (value.length > MAX_NAME_CHARS) {
    return `${kind} name '${value}' cannot be longer than ${MAX_NAME_CHARS} characters`;
  }
  if (!C_IDENTIFIER.test(value)) {
    return `${kind} name '${value}' must be alphanumeric or underscore and must not start with a digit`;
  }
  return undefined;
}

/** Whether the kernel accepts `group` as a probe event group (C identifier, at most 63 chars). */
export function isValidGroupName(group: string): boolean {
  return nameProblem('group', group) === undefined;
}

/** Whether the kernel accepts `name` as a probe event name (C identifier, at most 63 chars). */
export function isValidEventName(name: string): boolean {
  return nameProblem('event', name) === undefined;
}

/** Throws InvalidArgumentError unless `group` is a valid probe event group. */
export function validateGroupName(group: string): void {
  const problem = nameProblem('group', group);
  if (problem) throw new InvalidArgumentError('group', problem);
}

/** Throws InvalidArgumentError unless `name` is a valid probe event name. */
export function validateEventName(name: string): void {
  const problem = nameProblem('event', name);
  if (problem) throw new InvalidArgumentError('name', problem);
}

/** Group or event name of an existing trace event (tracepoints), as cilium accepts them. */
export function isTracepointIdentifier(s: string): boolean {
  return typeof s === 'string' && TRACEPOINT_IDENTIFIER.test(s);
}

/**
 * Turns a symbol into a valid event name, as cilium does: every run of characters outside
 * [A-Za-z0-9] (including '_' runs) becomes one '_', so `main.Func123` → `main_Func123` and
 * `__x64_sys_open` → `_x64_sys_open`. Unlike cilium, a leading digit gets a '_' in front and the
 * result is cut to 63 characters, so every non-empty symbol yields a name the kernel accepts.
 */
export function sanitizeSymbol(name: string): string {
  if (typeof name !== 'string' || name === '') {
    throw new InvalidArgumentError('symbol', 'symbol name cannot be empty');
  }
  let out = name.replace(/[^A-Za-z0-9]+/g, '_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out.slice(0, MAX_NAME_CHARS);
}
