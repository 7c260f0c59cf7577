import { multiRow } from './kprobe-multi.js';

export const kretprobeMulti = multiRow('kretprobe_multi');
