import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * A child process that, once told to, calls getppid(2) `count` times and exits: an event
 * source in another process, so the reader in this one competes with nothing on its thread.
 */
export async function getppidChild(count: number): Promise<{ child: ChildProcess; run: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', `process.stdin.once('data', () => { for (let i = 0; i < ${count}; i++) process.ppid; process.exit(0); }); process.stdout.write('ready');`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await once(child.stdout!, 'data');
  return {
    child,
    run: async () => {
      const exited = once(child, 'exit');
      child.stdin!.write('go');
      const [code] = await exited;
      if (code !== 0) throw new Error(`getppid child exited with ${String(code)}`);
    },
  };
}
