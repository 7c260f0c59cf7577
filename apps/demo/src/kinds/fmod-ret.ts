import { tracingRow } from './fentry.js';

export const fmodRet = tracingRow('fmod_ret');
