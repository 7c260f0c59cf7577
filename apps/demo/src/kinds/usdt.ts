import { pending } from './pending.js';

export const usdt = pending('usdt', 'usdt', ['usdt'], 'a USDT probe of a small C program the demo builds and runs');
