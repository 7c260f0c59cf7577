import { packageTestConfig } from '../../testing/vitest.package';

export default packageTestConfig({
  // Hooks build a target binary and transpile the package for child processes: under qemu's
  // TCG that exceeds vitest's 10 s hook default. A CLI --hookTimeout does not reach projects.
  hookTimeout: 60_000,
});
