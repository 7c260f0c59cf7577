import { pending } from './pending.js';

export const netkit = pending('netkit', 'netkit', ['attachNetkit'], 'the primary of a netkit pair; UDP through it');
