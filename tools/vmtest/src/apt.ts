/**
 * apt-get/apt-cache against a private configuration per Debian suite (sources list, package
 * lists and archive cache under the vmtest cache), so the host's apt setup is never read or
 * changed and `linux-image-amd64` means that suite's kernel, not whichever suite is newest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelSpec } from './kernels.js';

/** Package lists older than this are fetched again. */
const LISTS_MAX_AGE_MS = 6 * 3600_000;

export class Apt {
  private readonly dir: string;
  private readonly options: string[];

  constructor(cacheDir: string, private readonly spec: KernelSpec) {
    this.dir = join(cacheDir, 'apt', spec.suite);
    this.options = [
      '-o', `Dir::Etc::sourcelist=${join(this.dir, 'sources.list')}`,
      '-o', 'Dir::Etc::sourceparts=-',
      '-o', `Dir::State::Lists=${join(this.dir, 'lists')}`,
      '-o', `Dir::Cache=${join(this.dir, 'cache')}`,
      '-o', 'APT::Get::List-Cleanup=0',
    ];
  }

  /** Writes the sources list and fetches the package lists unless they are fresh. */
  update(): void {
    const sources = this.spec.sources.join('\n') + '\n';
    const sourcesPath = join(this.dir, 'sources.list');
    const stamp = join(this.dir, 'updated');
    for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(this.dir, d), { recursive: true });
    const same = existsSync(sourcesPath) && readFileSync(sourcesPath, 'utf8') === sources;
    if (same && existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < LISTS_MAX_AGE_MS) return;
    writeFileSync(sourcesPath, sources);
    this.run('apt-get', ['-q', 'update']);
    writeFileSync(stamp, new Date().toISOString() + '\n');
  }

  cache(args: string[]): string {
    return this.run('apt-cache', args);
  }

  /** Downloads the packages' .deb files into `dir` (no install, no maintainer scripts). */
  download(packages: string[], dir: string): void {
    this.run('apt-get', ['-q', 'download', ...packages], dir);
  }

  private run(tool: string, args: string[], cwd?: string): string {
    try {
      return execFileSync(tool, [...this.options, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stderr?: string; message: string; code?: string };
      const why = e.code === 'ENOENT' ? `${tool} is not installed` : (e.stderr?.trim() || e.message);
      throw new Error(`${tool} ${args.join(' ')} (${this.spec.suite}) failed: ${why}`, { cause: err });
    }
  }
}
