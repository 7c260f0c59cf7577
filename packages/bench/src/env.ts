import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, loadKernelBTF } from '@bpfkit/btf';
import { asm, type AsmItem, AttachType, Map, MapType, Program, ProgramType } from '@bpfkit/ebpf';
import { ElfFile } from '@bpfkit/elf';
import { cgroup2Mount } from '@bpfkit/link';
import { createNetns, deleteNetns, type Netns } from '@bpfkit/netlink';

/** Functions in the generated uprobe target: enough for uprobe_multi with K = 1000. */
export const UPROBE_FUNCTIONS = 1000;

/**
 * What the cases share, made once and removed at the end: a scratch dir (the C binary, the uprobe
 * target), a cgroup, a network namespace (XDP and TCX on its loopback), programs loaded once.
 */
export class BenchEnv {
  readonly dir: string;
  readonly #cleanup: (() => void)[] = [];
  readonly #programs = new globalThis.Map<string, Program>();
  #cgroup?: string;
  #netns?: Netns;
  readonly #holders = new globalThis.Map<string, Netns>();
  #uprobe?: { path: string; symbols: string[]; offsetsFile(k: number): string };

  constructor(dir: string) {
    this.dir = dir;
    this.#cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  }

  /** `r0 = verdict; exit` of a type (and expected attach type), loaded once. */
  program(type: ProgramType, verdict: number, attachType?: AttachType, attachTo?: string): Program {
    const key = `${type}/${verdict}/${attachType}/${attachTo}`;
    let p = this.#programs.get(key);
    if (!p) {
      p = Program.load({ type, instructions: ret(verdict), license: 'GPL', attachType, attachTo });
      this.#programs.set(key, p);
    }
    return p;
  }

  /** A fresh cgroup v2 directory (nothing runs in it: attaching is all that is measured). */
  get cgroup(): string {
    if (this.#cgroup) return this.#cgroup;
    const root = cgroup2Mount();
    const path = join(root, `bpfkit-bench-${process.pid}`);
    mkdirSync(path);
    this.#cleanup.push(() => rmdirSync(path));
    return (this.#cgroup = path);
  }

  /** A network namespace of our own: its `lo` (ifindex 1) takes the XDP and TCX links. */
  get netns(): Netns {
    if (this.#netns) return this.#netns;
    const ns = createNetns();
    this.#cleanup.push(() => deleteNetns(ns));
    return (this.#netns = ns);
  }

  /** One more namespace per side ('c', 'ts'), whose `lo` holds that side's XDP program while the cycle attaches it in `netns`. */
  holderNetns(side: string): Netns {
    let ns = this.#holders.get(side);
    if (!ns) {
      const created = createNetns();
      this.#cleanup.push(() => deleteNetns(created));
      this.#holders.set(side, (ns = created));
    }
    return ns;
  }

  /**
   * A generated executable with UPROBE_FUNCTIONS distinct functions (never run: attaching registers
   * the probes on the inode only), and files of their file offsets for the C side.
   */
  get uprobeTarget(): { path: string; symbols: string[]; offsetsFile(k: number): string } {
    if (this.#uprobe) return this.#uprobe;
    const src = join(this.dir, 'uprobe-target.c');
    const path = join(this.dir, 'uprobe-target');
    const symbols = Array.from({ length: UPROBE_FUNCTIONS }, (_, i) => `bench_fn${String(i).padStart(4, '0')}`);
    writeFileSync(src, `${symbols.map((s, i) => `__attribute__((noinline)) int ${s}(int x) { return x + ${i}; }`).join('\n')}\nint main(void) { return 0; }\n`);
    execFileSync('gcc', ['-O1', '-o', path, src]);
    const elf = ElfFile.open(path);
    const offsets = symbols.map((s) => elf.symbol(s).offset!);
    elf.close();
    const offsetsFile = (k: number): string => {
      const file = join(this.dir, `offsets-${k}.txt`);
      if (!existsSync(file)) writeFileSync(file, offsets.slice(0, k).join('\n'));
      return file;
    };
    return (this.#uprobe = { path, symbols, offsetsFile });
  }

  /** An Array map of one u64, for the counter program. */
  counterMap(): Map {
    const map = Map.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
    this.#cleanup.push(() => map.close());
    return map;
  }

  /** Registers an undo step; they run in reverse at close(). */
  defer(fn: () => void): void {
    this.#cleanup.push(fn);
  }

  close(): void {
    for (const p of this.#programs.values()) p.close();
    for (const fn of this.#cleanup.reverse()) {
      try {
        fn();
      } catch (err) {
        console.error(`bench cleanup: ${(err as Error).message}`);
      }
    }
  }
}

export function ret(verdict: number): AsmItem[] {
  return [asm.mov64('r0', verdict), asm.exit()];
}

/** The type ID the kernel wants as attach_btf_id for a tp_btf program on `tracepoint`. */
export function tpBtfId(tracepoint: string): number {
  return loadKernelBTF().typeId(`btf_trace_${tracepoint}`, Kind.Typedef);
}
