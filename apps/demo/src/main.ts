// Parses the options and checks privileges before loading anything that touches the kernel, so
// that a user without them gets one message and nothing is attempted.
import { missingPrivileges, privilegeMessage } from './privileges.js';
import { parseOptions, USAGE, type DemoOptions } from './options.js';

let options: DemoOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bpfkit-demo: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const missing = missingPrivileges();
if (missing.length > 0) {
  process.stderr.write(`${privilegeMessage(missing)}\n`);
  process.exit(1);
}
const { run } = await import('./run.js');
process.exit(await run(options));
