/**
 * A `lookup` for Node's `dgram` and `net` that answers IP literals synchronously. Node resolves
 * even `'10.0.0.1'` through a lookup that calls back on the next tick, so a socket bound inside
 * a withNetns() callback would be created after the callback returned, outside the namespace.
 * With this lookup the socket is created and bound before `bind()` returns.
 */
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '@bpfkit/errors';

type LookupOne = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;
type LookupAll = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

export function literalLookup(hostname: string, options: number | { all?: boolean }, callback: LookupOne): void {
  const family = isIP(hostname);
  if (family === 0) {
    callback(new InvalidArgumentError('address', `${JSON.stringify(hostname)} is not an IP address; literalLookup resolves no host names`), '', 0);
    return;
  }
  // net.connect() may ask for every address at once ({ all: true }).
  if (typeof options === 'object' && options.all) (callback as unknown as LookupAll)(null, [{ address: hostname, family }]);
  else callback(null, hostname, family);
}
