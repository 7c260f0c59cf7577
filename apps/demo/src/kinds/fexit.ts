import { tracingRow } from './fentry.js';

export const fexit = tracingRow('fexit');
