import { packageTestConfig } from '../../testing/vitest.package.js';

// The package's own setup sweeps what dead test workers left behind and fails on new leftovers.
export default packageTestConfig({ globalSetup: './src/testing/global-setup.ts' });
