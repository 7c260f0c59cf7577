import { uprobeRow } from './uprobe.js';

export const uretprobeMulti = uprobeRow('uretprobe_multi');
