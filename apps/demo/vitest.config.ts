import { packageTestConfig } from '../../testing/vitest.package.js';

// The tests run the built demo, which makes one netns, veth pair and cgroup per run: one file at a time.
export default packageTestConfig({ fileParallelism: false, testTimeout: 180_000 });
