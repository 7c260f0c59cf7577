import { pending } from './pending.js';

export const perfEvent = pending('perf_event', 'perf_event', ['attachPerfEvent'], 'a software perf event (task clock) of this process');
