import { InvalidArgumentError } from '@bpfkit/errors';
import type { Link } from './link.js';

export interface CloseAllOptions {
  /** How many closes run at once (default: the libuv thread pool's size, 4 unless UV_THREADPOOL_SIZE says otherwise). */
  concurrency?: number;
}

/**
 * Close many links off the main thread: each link's kernel teardown (for perf events an RCU grace
 * period of tens of milliseconds) runs on the thread pool, so the event loop stays responsive.
 * Every link is closed even when some fail; the failures are thrown together as one AggregateError.
 */
export async function closeAll(links: Iterable<Link>, opts: CloseAllOptions = {}): Promise<void> {
  const concurrency = opts.concurrency ?? (Number(process.env.UV_THREADPOOL_SIZE) || 4);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError('concurrency', `${concurrency} is not a positive integer`);
  const queue = [...links];
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    for (let link = queue.shift(); link !== undefined; link = queue.shift()) {
      try {
        await link.closeAsync();
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `close links: ${errors.length} of them failed`);
}
