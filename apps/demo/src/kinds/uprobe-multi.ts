import { uprobeRow } from './uprobe.js';

export const uprobeMulti = uprobeRow('uprobe_multi');
