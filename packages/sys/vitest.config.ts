import { packageTestConfig } from '../../testing/vitest.package.js';

export default packageTestConfig({
  // The shared test helpers' own tests run with this suite.
  include: ['src/**/*.test.ts', '../../testing/*.test.ts'],
  // fd.test.ts forces garbage collection to prove the finalizer closes dropped FDs.
  execArgv: ['--expose-gc'],
});
