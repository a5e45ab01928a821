import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which IP addresses a URL import may connect to. Fails closed: anything that
 * is not a well-formed, publicly routable unicast address is refused.
 *
 * IPv4: the IANA special-purpose ranges that are not globally reachable.
 * IPv6: only global unicast (2000::/3) minus its special-purpose blocks; the
 * forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96,
 * 6to4 2002::/16) are judged by the IPv4 address they carry.
 */

type Range = readonly [label: string, prefix: string, bits: number];

const IPV4_RANGES: readonly Range[] = [
  ['"this network" (0.0.0.0/8)', '0.0.0.0', 8],
  ['private (10.0.0.0/8)', '10.0.0.0', 8],
  ['shared/CGNAT (100.64.0.0/10)', '100.64.0.0', 10],
  ['loopback (127.0.0.0/8)', '127.0.0.0', 8],
  ['link-local (169.254.0.0/16, incl. cloud metadata)', '169.254.0.0', 16],
  ['private (172.16.0.0/12)', '172.16.0.0', 12],
  ['IETF protocol assignments (192.0.0.0/24)', '192.0.0.0', 24],
  ['documentation (192.0.2.0/24)', '192.0.2.0', 24],
  ['6to4 relay anycast (192.88.99.0/24)', '192.88.99.0', 24],
  ['private (192.168.0.0/16)', '192.168.0.0', 16],
  ['benchmarking (198.18.0.0/15)', '198.18.0.0', 15],
  ['documentation (198.51.100.0/24)', '198.51.100.0', 24],
  ['documentation (203.0.113.0/24)', '203.0.113.0', 24],
  ['multicast (224.0.0.0/4)', '224.0.0.0', 4],
  ['broadcast (255.255.255.255)', '255.255.255.255', 32],
  ['reserved (240.0.0.0/4)', '240.0.0.0', 4],
];

/** Checked in order, so the more specific label wins; whatever is left must be in 2000::/3. */
const IPV6_RANGES: readonly Range[] = [
  ['unspecified (::)', '::', 128],
  ['loopback (::1)', '::1', 128],
  ['IPv4-compatible (::/96, deprecated)', '::', 96],
  ['IPv4-translated (::ffff:0:0:0/96)', '::ffff:0:0:0', 96],
  ['local-use NAT64 (64:ff9b:1::/48)', '64:ff9b:1::', 48],
  ['discard-only (100::/64)', '100::', 64],
  ['Teredo (2001::/32)', '2001::', 32],
  ['IETF protocol assignments (2001::/23)', '2001::', 23],
  ['documentation (2001:db8::/32)', '2001:db8::', 32],
  ['documentation (3fff::/20)', '3fff::', 20],
  ['unique local (fc00::/7)', 'fc00::', 7],
  ['link-local (fe80::/10)', 'fe80::', 10],
  ['site-local (fec0::/10, deprecated)', 'fec0::', 10],
  ['multicast (ff00::/8)', 'ff00::', 8],
];

const GLOBAL_UNICAST = blockList('2000::', 3, 'ipv6');

const ipv4Lists = IPV4_RANGES.map(([label, prefix, bits]) => [label, blockList(prefix, bits, 'ipv4')] as const);
const ipv6Lists = IPV6_RANGES.map(([label, prefix, bits]) => [label, blockList(prefix, bits, 'ipv6')] as const);

function blockList(prefix: string, bits: number, type: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  list.addSubnet(prefix, bits, type);
  return list;
}

/**
 * The name of the non-public range `address` is in, or undefined when it is a
 * publicly routable unicast address. Anything that is not an IP address
 * (BlockList would silently answer "no match" for it) is refused.
 */
export function nonPublicRange(address: string): string | undefined {
  if (isIPv4(address)) return ipv4Range(address);
  // A scope (fe80::1%eth0) does not change which range the address is in.
  const bare = address.replace(/%.*$/, '');
  if (isIPv6(bare)) return ipv6Range(bare);
  return 'not an IP address';
}

export function isPublicAddress(address: string): boolean {
  return nonPublicRange(address) === undefined;
}

function ipv4Range(address: string): string | undefined {
  return ipv4Lists.find(([, list]) => list.check(address, 'ipv4'))?.[0];
}

function ipv6Range(address: string): string | undefined {
  const words = parseIPv6(address);
  if (!words) return 'not an IP address';
  const embedded = embeddedIPv4(words);
  if (embedded) {
    const range = ipv4Range(embedded.ipv4);
    return range === undefined ? undefined : `${embedded.form} of ${embedded.ipv4}, ${range}`;
  }
  const label = ipv6Lists.find(([, list]) => list.check(address, 'ipv6'))?.[0];
  if (label) return label;
  return GLOBAL_UNICAST.check(address, 'ipv6') ? undefined : 'reserved (outside global unicast 2000::/3)';
}

/** IPv6 forms that a dual-stack host or a translator turns into an IPv4 connection. */
function embeddedIPv4(words: readonly number[]): { form: string; ipv4: string } | undefined {
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  const w = (i: number) => words[i] ?? 0;
  if (zeros(0, 5) && w(5) === 0xffff) return { form: 'IPv4-mapped (::ffff:0:0/96)', ipv4: ipv4From(w(6), w(7)) };
  if (w(0) === 0x64 && w(1) === 0xff9b && zeros(2, 6)) return { form: 'NAT64 (64:ff9b::/96)', ipv4: ipv4From(w(6), w(7)) };
  if (w(0) === 0x2002) return { form: '6to4 (2002::/16)', ipv4: ipv4From(w(1), w(2)) };
  return undefined;
}

function ipv4From(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Eight 16-bit words, or undefined. The caller has already checked the syntax with isIPv6. */
export function parseIPv6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  // A trailing dotted IPv4 (::ffff:1.2.3.4) stands for the last two words.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    if (!isIPv4(dotted[1])) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string | undefined) => (s ? s.split(':') : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  const words = groups.map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  return words.some(Number.isNaN) ? undefined : words;
}
