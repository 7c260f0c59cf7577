/** Everything the demo made, undone last-made-first; each step runs once, and a failing step does not stop the rest. */
export class Cleanup {
  readonly #steps: { label: string; undo: () => void | Promise<void> }[] = [];

  defer(label: string, undo: () => void | Promise<void>): void {
    this.#steps.push({ label, undo });
  }

  /** Runs every step; returns what failed ("label: message"). */
  async run(): Promise<string[]> {
    const failed: string[] = [];
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step.undo();
      } catch (err) {
        failed.push(`${step.label}: ${(err as Error).message}`);
      }
    }
    return failed;
  }
}
