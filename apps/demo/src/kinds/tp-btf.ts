import { tracingRow } from './fentry.js';

export const tpBtf = tracingRow('tp_btf');
