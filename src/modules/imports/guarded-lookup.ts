import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { GatewayError } from '../../platform/errors.js';
import { nonPublicRange } from './safe-address.js';

/** Resolves a host name to every address it has (for `family` 0: both v4 and v6). */
export type HostResolver = (hostname: string, family: 0 | 4 | 6) => Promise<LookupAddress[]>;

export const systemResolver: HostResolver = (hostname, family) => dns.lookup(hostname, { all: true, family });

/** Why an address may not be connected to; built by the caller so the message can name the URL's host. */
export type RefuseAddress = (address: string, range: string) => GatewayError;

/**
 * The `lookup` handed to net.connect (through http(s).request): the only place
 * a host name is resolved. Every address it returns has passed the check, and
 * net connects to exactly those addresses, so a DNS answer that changes between
 * a check and the connect (DNS rebinding) cannot slip through: there is no
 * second answer. With `refuse` undefined (an operator-allowed host) addresses
 * are passed on unchecked.
 *
 * net skips `lookup` for IP-literal hosts; those are checked before connecting.
 */
export function guardedLookup(resolve: HostResolver, refuse: RefuseAddress | undefined): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    const answered = (answer: LookupAddress[]) => {
      // The family is taken from the address itself, not from the resolver's word.
      const addresses = answer.map(({ address }) => ({ address, family: isIP(address) }));
      if (addresses.length === 0) return callback(notFound(hostname), '');
      for (const { address } of addresses) {
        const range = nonPublicRange(address);
        if (range !== undefined && refuse) return callback(refuse(address, range), '');
        if (range === 'not an IP address') return callback(notFound(hostname), '');
      }
      const [first] = addresses;
      if (options.all) callback(null, addresses);
      else if (first) callback(null, first.address, first.family);
    };
    resolve(hostname, family).then(answered, (error: NodeJS.ErrnoException) => callback(error, ''));
  };
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}
