import { uprobeRow } from './uprobe.js';

export const uretprobe = uprobeRow('uretprobe');
