import type { LookupAddress } from 'node:dns';
import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/platform/errors.js';
import {
  guardedLookup,
  isAllowedHost,
  isPublicAddress,
  nonPublicRange,
  parseAllowedHost,
  parseImportUrl,
  type HostResolver,
} from '../../src/modules/imports/index.js';
import { parseIPv6 } from '../../src/modules/imports/safe-address.js';

describe('address classifier: IPv4', () => {
  it.each([
    ['0.0.0.0', 'this network'],
    ['0.255.1.2', 'this network'],
    ['10.0.0.1', 'private (10.0.0.0/8)'],
    ['10.255.255.255', 'private (10.0.0.0/8)'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.254', 'CGNAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['172.16.0.1', 'private (172.16.0.0/12)'],
    ['172.31.255.255', 'private (172.16.0.0/12)'],
    ['192.168.1.1', 'private (192.168.0.0/16)'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.10', 'documentation'],
    ['192.88.99.1', '6to4 relay'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
  ])('refuses %s (%s)', (address, label) => {
    expect(nonPublicRange(address)).toContain(label);
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.167.255.255', '192.169.0.0', '198.17.255.255', '198.20.0.0', '223.255.255.255', '11.0.0.1', '169.253.255.255'])(
    'allows the public address %s',
    (address) => {
      expect(nonPublicRange(address)).toBeUndefined();
    },
  );
});

describe('address classifier: IPv6', () => {
  it.each([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::7f00:1', 'IPv4-compatible'],
    ['fc00::1', 'unique local'],
    ['fd12:3456:789a::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['ff0e::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001:db8:ffff::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001::1', 'Teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['2001:2::1', 'IETF protocol assignments'],
    ['2001:10::1', 'IETF protocol assignments'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['100::1', 'discard-only'],
    ['::ffff:0:7f00:1', 'IPv4-translated'],
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
  ])('refuses %s (%s)', (address, label) => {
    expect(nonPublicRange(address)).toContain(label);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:7F00:0001', 'loopback'],
    ['0:0:0:0:0:ffff:a00:1', 'private (10.0.0.0/8)'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:192.168.0.1', 'private (192.168.0.0/16)'],
    ['::ffff:100.64.0.1', 'CGNAT'],
    ['::ffff:0.0.0.0', 'this network'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::c0a8:101', 'private (192.168.0.0/16)'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:a00:1::', 'private (10.0.0.0/8)'],
    ['2002:a9fe:a9fe:1:2:3:4:5', 'link-local'],
  ])('judges the IPv4 address embedded in %s (%s)', (address, label) => {
    expect(nonPublicRange(address)).toContain(label);
  });

  it.each(['2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '2001:4860:4860::8888', '::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::8.8.8.8', '2002:808:808::1'])(
    'allows the public address %s',
    (address) => {
      expect(nonPublicRange(address)).toBeUndefined();
    },
  );

  it('fails closed on anything that is not an IP address', () => {
    for (const text of ['', 'localhost', '127.0.0.1.nip.io', '1.2.3', '01.2.3.4', '::ffff:1.2.3.256', '1:2:3:4:5:6:7:8:9', 'fe80::1%']) {
      expect(isPublicAddress(text), text).toBe(false);
    }
  });

  it('parses IPv6 text into eight words', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('1:2:3:4:5:6:7')).toBeUndefined();
    expect(parseIPv6('1::2::3')).toBeUndefined();
  });
});

describe('import URLs', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error instanceof GatewayError ? `${error.code}: ${error.message}` : String(error);
    }
    return 'no error';
  };

  it('accepts http and https URLs with any port', () => {
    expect(parseImportUrl('https://images.example.com:8443/a.png?x=1').href).toBe('https://images.example.com:8443/a.png?x=1');
    expect(parseImportUrl('HTTP://Example.COM/a').hostname).toBe('example.com');
  });

  it.each([
    ['ftp://example.com/a.png', /ftp: scheme/],
    ['file:///etc/passwd', /file: scheme/],
    ['javascript:alert(1)', /javascript: scheme/],
    ['data:image/png;base64,AAAA', /data: scheme/],
    ['gopher://example.com:70/_x', /gopher: scheme/],
    ['not a url', /not a valid absolute URL/],
    ['/relative/path.png', /not a valid absolute URL/],
    ['http://alice:hunter2@example.com/a.png', /user name or password/],
    ['http://hunter2@example.com/a.png', /user name or password/],
    [`https://example.com/${'a'.repeat(9000)}`, /longer than/],
  ])('refuses %s as BAD_USER_INPUT', (url, message) => {
    const result = code(() => parseImportUrl(url));
    expect(result).toMatch(/^BAD_USER_INPUT: /);
    expect(result).toMatch(message);
    expect(result).not.toContain('hunter2');
  });

  it('resolves redirects against the current URL and re-checks them', () => {
    const base = new URL('https://a.example/x/y.png');
    expect(parseImportUrl('../z.png', base).href).toBe('https://a.example/z.png');
    expect(parseImportUrl('//b.example/q', base).href).toBe('https://b.example/q');
    expect(code(() => parseImportUrl('file:///etc/passwd', base))).toMatch(/^BAD_USER_INPUT: The URL redirected to a location that uses the file: scheme/);
    expect(code(() => parseImportUrl('http://u:secret@b.example/', base))).not.toContain('secret');
  });

  it('matches allow-list entries by host, or host and port', () => {
    const url = (text: string) => new URL(text);
    expect(isAllowedHost(url('http://images.internal/a'), ['images.internal'])).toBe(true);
    expect(isAllowedHost(url('http://images.internal:8080/a'), ['images.internal'])).toBe(true);
    expect(isAllowedHost(url('http://images.internal:8080/a'), ['images.internal:8080'])).toBe(true);
    expect(isAllowedHost(url('http://images.internal:8081/a'), ['images.internal:8080'])).toBe(false);
    expect(isAllowedHost(url('http://images.internal/a'), ['images.internal:80'])).toBe(true);
    expect(isAllowedHost(url('https://images.internal/a'), ['images.internal:80'])).toBe(false);
    expect(isAllowedHost(url('http://IMAGES.internal./a'), ['Images.Internal'])).toBe(true);
    expect(isAllowedHost(url('http://evil-images.internal/a'), ['images.internal'])).toBe(false);
    expect(isAllowedHost(url('http://images.internal.evil.com/a'), ['images.internal'])).toBe(false);
    expect(isAllowedHost(url('http://127.1:9000/a'), ['127.0.0.1:9000'])).toBe(true);
    expect(isAllowedHost(url('http://[::1]:9000/a'), ['[::1]:9000'])).toBe(true);
    expect(isAllowedHost(url('http://[::1]:9000/a'), ['::1'])).toBe(true);
    expect(isAllowedHost(url('http://[::1]:9000/a'), ['0:0:0:0:0:0:0:1'])).toBe(true);
    expect(isAllowedHost(url('http://localhost:9000/a'), ['127.0.0.1:9000'])).toBe(false);
    expect(isAllowedHost(url('http://localhost/a'), [])).toBe(false);
    expect(parseAllowedHost('')).toBeUndefined();
    expect(parseAllowedHost('a:b:c')).toBeUndefined();
    expect(parseAllowedHost('[::1]:99')).toEqual({ host: '[::1]', port: 99 });
  });
});

describe('guarded lookup (the resolver net.connect uses)', () => {
  const refuse = (address: string, range: string) => new GatewayError('FORBIDDEN', `${address} ${range}`);
  const run = (resolve: HostResolver, options: { all?: boolean; family?: number } = { all: true }, check = true) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((done) => {
      guardedLookup(resolve, check ? refuse : undefined)('host.test', options, (error, address, family) => done({ error, address, family }));
    });

  it('hands net exactly the addresses it checked, from one resolution', async () => {
    // A rebinding resolver: public on the first answer, loopback afterwards.
    const answers = [[{ address: '93.184.215.14', family: 4 }], [{ address: '127.0.0.1', family: 4 }]];
    const resolve = vi.fn<HostResolver>(async () => answers.shift() ?? []);
    expect(await run(resolve)).toEqual({ error: null, address: [{ address: '93.184.215.14', family: 4 }], family: undefined });
    expect(resolve).toHaveBeenCalledTimes(1);
    // The next connection resolves again, and that answer is checked in turn.
    expect((await run(resolve)).error).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('answers single-address lookups (autoSelectFamily off) with the checked address and its real family', async () => {
    const resolve: HostResolver = async () => [{ address: '2606:4700:4700::1111', family: 4 }];
    expect(await run(resolve, { family: 0 })).toEqual({ error: null, address: '2606:4700:4700::1111', family: 6 });
  });

  it('refuses a host when any of its addresses is not public', async () => {
    const resolve: HostResolver = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '::ffff:10.0.0.1', family: 6 },
    ];
    expect((await run(resolve)).error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('10.0.0.1') });
  });

  it('passes the requested family to the resolver', async () => {
    const resolve = vi.fn<HostResolver>(async () => [{ address: '8.8.8.8', family: 4 }]);
    await run(resolve, { family: 4 });
    await run(resolve, { family: 6 });
    expect(resolve.mock.calls.map(([, family]) => family)).toEqual([4, 6]);
  });

  it('skips the check for operator-allowed hosts but still refuses non-addresses', async () => {
    expect(await run(async () => [{ address: '127.0.0.1', family: 4 }], { all: true }, false)).toMatchObject({ error: null, address: [{ address: '127.0.0.1', family: 4 }] });
    expect((await run(async () => [{ address: 'evil', family: 4 }], { all: true }, false)).error).toMatchObject({ code: 'ENOTFOUND' });
    expect((await run(async () => [], { all: true }, false)).error).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('passes resolver failures through', async () => {
    const failure = Object.assign(new Error('getaddrinfo ENOTFOUND host.test'), { code: 'ENOTFOUND' });
    expect((await run(async () => Promise.reject(failure))).error).toBe(failure);
  });
});
