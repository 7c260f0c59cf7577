import { InvalidArgumentError, SymbolNotFoundError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { Kind } from './kind.js';
import { loadKernelBTF } from './kernel.js';
import { Spec } from './spec.js';

/** Deterministic PRNG (mulberry32) so a failure can be replayed from the printed seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exercise(spec: Spec, random: () => number): void {
  const end = spec.typeEnd;
  // Lookups cost a string-section search, and the second one builds the name index (a few
  // ms): exercise them on a share of the inputs to keep the run to a few seconds.
  const r = random();
  if (r < 0.2) spec.findTypeIds('task_struct', Kind.Struct);
  if (r < 0.03) spec.findTypeIds('sk_buff');
  for (let i = 0; i < 40; i++) {
    const id = 1 + Math.floor(random() * (end - 1));
    const t = spec.type(id);
    if (t.kind === Kind.Func) spec.funcSignature(id);
    if (t.kind === Kind.Struct || t.kind === Kind.Union) spec.members(id);
    if (t.kind === Kind.Typedef || t.kind === Kind.Const || t.kind === Kind.Array) {
      try {
        spec.size(id);
      } catch (err) {
        // A typedef of a FUNC_PROTO or void legitimately has no size.
        if (!(err instanceof InvalidArgumentError)) throw err;
      }
    }
  }
}

describe('fuzz: mutated vmlinux BTF', () => {
  it('only ever throws InvalidArgumentError (or SymbolNotFoundError), naming an offset', () => {
    const original = loadKernelBTF().data;
    const blob = new Uint8Array(original); // one private copy, mutated in place and restored
    const view = new DataView(blob.buffer);
    const typeStart = 24 + view.getUint32(8, true);
    const typeLen = view.getUint32(12, true);
    const strStart = 24 + view.getUint32(16, true);
    const seed = Number(process.env.BTF_FUZZ_SEED ?? 0x5eed);
    const random = rng(seed);
    const iterations = Number(process.env.BTF_FUZZ_ITERATIONS ?? 2000);
    let rejected = 0;
    for (let iter = 0; iter < iterations; iter++) {
      const saved: [number, number][] = [];
      const poke = (off: number, value: number) => {
        saved.push([off, blob[off]!]);
        blob[off] = value;
      };
      const r = random();
      let input = blob;
      if (r < 0.1) {
        for (let i = 0; i < 1 + random() * 3; i++) poke(Math.floor(random() * 24), Math.floor(random() * 256));
      } else if (r < 0.2) {
        input = blob.subarray(0, Math.floor(random() * blob.length));
      } else if (r < 0.3) {
        poke(strStart + Math.floor(random() * (blob.length - strStart)), Math.floor(random() * 256));
      } else {
        // Type section: hit info words (kind/vlen) often, since they steer the walk.
        const word = typeStart + 4 * Math.floor((random() * typeLen) / 4);
        const byte = random() < 0.5 ? word + 4 + Math.floor(random() * 4) : word + Math.floor(random() * 4);
        for (let i = 0; i < 1 + random() * 4; i++) poke(Math.min(blob.length - 1, byte + i), Math.floor(random() * 256));
      }
      try {
        exercise(Spec.parse(input, { name: 'fuzz' }), random);
      } catch (err) {
        if (err instanceof SymbolNotFoundError) continue;
        if (!(err instanceof InvalidArgumentError)) {
          throw new Error(`seed ${seed} iteration ${iter}: unexpected ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
        }
        expect(err.message).toMatch(/offset 0x[0-9a-f]+|type ID|string offset|too many types|modifier chain|array chain/);
        rejected++;
      } finally {
        for (let i = saved.length - 1; i >= 0; i--) blob[saved[i]![0]] = saved[i]![1];
      }
    }
    expect(Buffer.compare(blob, original)).toBe(0);
    // Some mutations must actually have been caught, or the test proves nothing.
    expect(rejected).toBeGreaterThan(iterations / 20);
  });
});
