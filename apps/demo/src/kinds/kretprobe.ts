import { probeRow } from './kprobe.js';

export const kretprobe = probeRow('kretprobe');
