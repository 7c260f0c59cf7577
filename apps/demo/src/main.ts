import { BpfError } from '@bpfkit/errors';

// The attach-kind tour lands with @bpfkit/link; until then the demo says so and exits cleanly.
console.log(`bpfkit demo: not built yet (waiting for @bpfkit/link); errors package loaded: ${typeof BpfError === 'function'}`);
