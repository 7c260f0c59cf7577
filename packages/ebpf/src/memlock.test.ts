import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { requireRoot } from '@bpfkit/testing';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const sysDist = fileURLToPath(new URL('../node_modules/@bpfkit/sys/dist/index.js', import.meta.url));

const CHILD = `
const { BpfMap, MapType } = await import(${JSON.stringify(dist)});
const { memlockLimit } = await import(${JSON.stringify(sysDist)});
const maps = Array.from({ length: 16 }, () => BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4096, maxEntries: 64 }));
console.log(JSON.stringify({ created: maps.length, limit: String(memlockLimit().cur) }));
for (const m of maps) m.close();
`;

describe('RLIMIT_MEMLOCK', () => {
  it('maps and programs are created even under a locked-memory limit of 0 (kernels before 5.11 charge them to it)', (ctx) => {
    requireRoot(ctx);
    // prlimit(1) starts the child with soft and hard limits of 0; as root it may raise them again.
    const out = execFileSync('prlimit', ['--memlock=0:0', process.execPath, '--input-type=module', '-e', CHILD], { encoding: 'utf8' });
    const { created, limit } = JSON.parse(out.trim().split('\n').pop()!) as { created: number; limit: string };
    expect(created).toBe(16);
    const [major, minor] = release().split('.').map(Number) as [number, number];
    // Where the kernel charges memlock, creating them needed the limit lifted; newer kernels leave it alone.
    if (major < 5 || (major === 5 && minor < 11)) expect(limit).not.toBe('0');
    else expect(limit).toBe('0');
  });
});
