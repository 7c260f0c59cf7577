import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ChildRequest } from './child.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/** The running trigger child (child.ts): requests are answered in order. */
export class TriggerChild {
  readonly #proc: ChildProcessByStdio<Writable, Readable, null>;
  readonly #waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  readonly #exited: Promise<void>;

  constructor() {
    this.#proc = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#exited = new Promise((resolve) => this.#proc.once('exit', () => resolve()));
    // A request written as the child is killed fails with EPIPE; the exit rejects it below.
    this.#proc.stdin.on('error', () => undefined);
    this.#proc.once('exit', (code, signal) => {
      for (const w of this.#waiting.splice(0)) w.reject(new Error(`trigger child exited (${signal ?? code})`));
    });
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as { ok?: true; error?: string };
      const w = this.#waiting.shift();
      if (reply.error === undefined) w?.resolve();
      else w?.reject(new Error(`trigger child: ${reply.error}`));
    });
  }

  get pid(): number {
    return this.#proc.pid!;
  }

  request(req: ChildRequest): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return Promise.reject(new Error('trigger child has exited'));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#proc.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  /** Kills it and waits until it is gone (its cgroup can be removed only then). */
  async kill(): Promise<void> {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) this.#proc.kill('SIGKILL');
    await this.#exited;
  }
}
