import { multiRow } from './kprobe-multi.js';

export const kprobeSession = multiRow('kprobe_session');
