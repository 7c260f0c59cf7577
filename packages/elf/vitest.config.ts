import { packageTestConfig } from '../../testing/vitest.package.js';

export default packageTestConfig();
