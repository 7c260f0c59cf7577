import { packageTestConfig } from '../../testing/vitest.package';

export default packageTestConfig();
