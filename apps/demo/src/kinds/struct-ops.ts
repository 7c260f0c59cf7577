import { pending } from './pending.js';

export const structOps = pending('struct_ops', 'struct_ops', ['attachStructOps'], 'a TCP congestion control; a TCP connection using it');
