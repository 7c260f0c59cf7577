import { packageTestConfig } from '../../testing/vitest.package.js';

// test/leftovers.ts checks, once every file has run, that no link, pin, cgroup or netns of the suite remains.
export default packageTestConfig({ globalSetup: './test/leftovers.ts' });
