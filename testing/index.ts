export { isRoot, requireFeature, requireRoot, skipForbidden, skipUnsupported, strict } from './feature.js';
export { checkFdLeaks, expectNoFdLeak, leakedSince, openFds } from './fds.js';
export { collectGarbage } from './gc.js';
export { loopback } from './net.js';
export { readCounter, type CounterSource } from './counter.js';
export { thrown } from './thrown.js';
export { compileBpf } from './clang.js';
