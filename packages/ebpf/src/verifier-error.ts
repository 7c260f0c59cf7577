import { BpfError, brandErrorClass } from '@bpfkit/errors';

/** How many trailing log lines the message quotes. */
const TAIL_LINES = 8;

/** The kernel rejected a program; `log` is the verifier's log. */
export class VerifierError extends BpfError {
  readonly code = 'ERR_BPF_VERIFIER' as const;
  readonly log: string;
  readonly errno: number;
  /** The log did not fit even the largest buffer tried (kernels >= 6.4 keep its end, older ones its start). */
  readonly truncated: boolean;

  constructor(what: string, errno: number, errnoName: string, log: string, options: { truncated?: boolean; cause?: unknown } = {}) {
    const lines = log.trimEnd().split('\n');
    const tail = lines.slice(-TAIL_LINES).join('\n');
    const more = lines.length > TAIL_LINES ? `(${lines.length - TAIL_LINES} earlier lines in .log)\n` : '';
    super(`${what}: ${errnoName}: verifier rejected the program${options.truncated ? ' (log truncated)' : ''}:\n${more}${tail}`, {
      cause: options.cause,
    });
    this.name = 'VerifierError';
    this.log = log;
    this.errno = errno;
    this.truncated = options.truncated ?? false;
  }
}

brandErrorClass(VerifierError, '@bpfkit/ebpf:VerifierError');
