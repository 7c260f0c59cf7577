import { type ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { asm, type AsmItem, AttachType, Helper, type Map as BpfMap, Program, ProgramType } from '@bpfkit/ebpf';
import * as sys from '@bpfkit/sys';
import { afterAll, beforeAll } from 'vitest';
import { leakChecks } from './suite.js';

/**
 * The uprobe target: four functions called once per iteration (one named `bpfkit.dotted`), a libc call (getppid, which
 * nothing else in the program calls) and a USDT probe `app:tick(i, i * 3)` that fires only while
 * its semaphore is set. `target N` runs N iterations; `target N wait` answers on stdin: `s` prints
 * the semaphore, `r` runs N iterations, anything else exits.
 */
const SOURCE = String.raw`
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned short app_tick_semaphore __attribute__((unused, section(".probes")));

__attribute__((noipa)) int bpfkit_one(int x) { return x + 1; }
__attribute__((noipa)) int bpfkit_two(int x) { return x + 2; }
__attribute__((noipa)) int bpfkit_three(int x) { return x + 3; }
/* A symbol with a dot, as gcc's .isra/.constprop clones and Go's main.main have. */
__attribute__((noipa)) int bpfkit_dotted(int x) __asm__("bpfkit.dotted");
int bpfkit_dotted(int x) { return x + 4; }

static void run(int n) {
  volatile int acc = 0;
  for (int i = 0; i < n; i++) {
    acc += bpfkit_one(i);
    acc += bpfkit_two(i);
    acc += bpfkit_three(i);
    acc += bpfkit_dotted(i);
    acc += getppid() > 0;
    if (app_tick_semaphore) DTRACE_PROBE2(app, tick, i, i * 3);
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  if (argc > 2 && strcmp(argv[2], "wait") == 0) {
    char line[16];
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
      if (line[0] == 's') printf("%u\n", app_tick_semaphore);
      else if (line[0] == 'r') { run(n); printf("done\n"); }
      else break;
      fflush(stdout);
    }
    return 0;
  }
  run(n);
  return 0;
}
`;

export interface Targets {
  /** gcc's default (PIE on Debian). */
  pie: string;
  noPie: string;
  /** PIE, functions exported, then `strip`: only .dynsym is left. */
  stripped: string;
  /** -O0: USDT arguments live in memory (`-4@-20(%rbp)`) instead of registers. */
  unoptimised: string;
  remove(): void;
}

/** gcc under TCG on a cold page cache (the first file of a VM run) takes minutes for the four builds. */
export const BUILD_TIMEOUT_MS = 600_000;

/** Builds the target four ways in a temp dir (the VMs run the host's userspace read-only). */
export function buildTargets(): Targets {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-uprobe-'));
  const src = join(dir, 'target.c');
  writeFileSync(src, SOURCE);
  const gcc = (out: string, ...flags: string[]) => {
    execFileSync('gcc', ['-O2', '-g0', ...flags, '-o', join(dir, out), src], { stdio: 'pipe' });
    return join(dir, out);
  };
  const pie = gcc('pie', '-fPIE', '-pie');
  const noPie = gcc('nopie', '-fno-PIE', '-no-pie');
  const stripped = gcc('stripped', '-fPIE', '-pie', '-rdynamic');
  execFileSync('strip', ['--strip-all', stripped], { stdio: 'pipe' });
  const unoptimised = gcc('o0', '-O0');
  return { pie, noPie, stripped, unoptimised, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `n` iterations in a new process and waits for it. */
export function runTarget(path: string, n: number): void {
  const r = spawnSync(path, [String(n)], { stdio: 'pipe' });
  if (r.status !== 0) throw new Error(`${path} ${n} exited with ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
}

/** A target process waiting for commands, so a test can attach to it (by pid) before it runs. */
export class WaitingTarget {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(path: string, n: number): Promise<WaitingTarget> {
    const t = new WaitingTarget(spawn(path, [String(n), 'wait'], { stdio: 'pipe' }));
    const first = await t.#line();
    if (first !== 'ready') throw new Error(`${path}: expected "ready", got ${first}`);
    return t;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  async #line(): Promise<string> {
    const r = await this.#lines.next();
    if (r.done) throw new Error('target exited');
    return r.value;
  }

  /** Runs the loop once in this process. */
  async run(): Promise<void> {
    this.#child.stdin.write('r\n');
    const r = await this.#line();
    if (r !== 'done') throw new Error(`expected "done", got ${r}`);
  }

  /** The USDT semaphore as the process sees it. */
  async semaphore(): Promise<number> {
    this.#child.stdin.write('s\n');
    return Number(await this.#line());
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.stdin.end('q\n');
    await exited;
  }
}

/** Runs `fn` with `count` waiting targets of `path` (n iterations each), and stops them after. */
export async function withTargets(path: string, n: number, count: number, fn: (...targets: WaitingTarget[]) => Promise<void>): Promise<void> {
  const targets: WaitingTarget[] = [];
  try {
    for (let i = 0; i < count; i++) targets.push(await WaitingTarget.start(path, n));
    await fn(...targets);
  } finally {
    for (const t of targets) await t.stop();
  }
}

/** The attach type a program for uprobe_multi (or USDT, which uses it) needs on this kernel. */
export function multiAttachType(): AttachType | undefined {
  try {
    sys.haveUprobeMulti();
    return AttachType.TraceUprobeMulti;
  } catch {
    return undefined;
  }
}

/**
 * A Kprobe program that adds a value to the u64 at key 0 of `map`: `value` computes it into r7
 * with the context in r6.
 */
export function adding(map: BpfMap, value: AsmItem[], attachType?: AttachType): Program {
  return Program.load({
    type: ProgramType.Kprobe,
    attachType,
    license: 'GPL',
    name: 'bpfkit_add',
    instructions: [
      asm.mov64('r6', 'r1'),
      ...value,
      asm.storeImm('r10', -4, 0, 4),
      asm.mov64('r2', 'r10'),
      asm.add64('r2', -4),
      asm.ldMapFd('r1', map),
      asm.call(Helper.MapLookupElem),
      asm.jeq('r0', 0, 'out'),
      asm.atomicAdd('r0', 0, 'r7', 8),
      asm.label('out'),
      asm.mov64('r0', 0),
      asm.exit(),
    ],
  });
}

/** r7 = bpf_get_attach_cookie(ctx). */
export const attachCookie: AsmItem[] = [asm.mov64('r1', 'r6'), asm.call(Helper.GetAttachCookie), asm.mov64('r7', 'r0')];

export interface UprobeSuite {
  /** The built targets (from beforeAll on). */
  readonly targets: Targets;
  /** Records a program so afterAll can check that none of its links is left. */
  track<P extends Program>(program: P): P;
}

/**
 * For a uprobe test file: builds the targets before its tests and removes them after, with
 * testing/suite.ts's leak checks (links of the tracked programs, fds, tracefs events).
 */
export function uprobeSuite(): UprobeSuite {
  const track = leakChecks();
  let targets: Targets | undefined;
  beforeAll(() => {
    targets = buildTargets();
  }, BUILD_TIMEOUT_MS);
  afterAll(() => targets?.remove());
  return {
    get targets() {
      return targets!;
    },
    track: (p) => (track(p), p),
  };
}
