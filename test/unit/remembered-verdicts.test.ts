import { describe, expect, it } from 'vitest';
import { QueryLimits } from '../../src/platform/graphql/limits/query-limits.js';
import { AllowedHosts } from '../../src/platform/http/allowed-hosts.js';

// The Host check and the token count remember their verdicts per exact value; a remembered verdict never answers for another value.

describe('AllowedHosts verdicts', () => {
  const hosts = new AllowedHosts(['api.example', '*.corp.example'], 'https://gateway.example');

  it('judges each Host value on its own, however often the others came', () => {
    for (let round = 0; round < 3; round++) {
      expect(hosts.admits('localhost:4000')).toBe(true);
      expect(hosts.admits('evil.example')).toBe(false);
      expect(hosts.admits('evil.example:4000')).toBe(false);
      expect(hosts.admits('api.example')).toBe(true);
      expect(hosts.admits('team.corp.example')).toBe(true);
      expect(hosts.admits('corp.example.evil')).toBe(false);
      expect(hosts.admits('gateway.example:443')).toBe(true);
      expect(hosts.admits('10.0.0.7:4000')).toBe(true);
      expect(hosts.admits('[::1]:4000')).toBe(true);
      expect(hosts.admits('bad host')).toBe(false);
    }
  });

  it('still judges after more distinct values than it keeps', () => {
    for (let i = 0; i < 1000; i++) expect(hosts.admits(`10.0.${i >> 8}.${i & 255}`)).toBe(true);
    expect(hosts.admits('evil.example')).toBe(false);
    expect(hosts.admits('api.example')).toBe(true);
  });
});

describe('QueryLimits token count', () => {
  const limits = new QueryLimits({ maxDepth: 10, maxAliases: 30, maxCost: 100, maxPrompts: 50, maxVariablesBytes: 1 << 16, maxTokens: 12, maxDirectives: 10, maxVariables: 10, introspection: false, jobMaxItems: 10 });
  const small = '{ items { id } }';
  const large = '{ items { id name tag owner size colour weight price } }';

  it('passes a document within the limit every time, and refuses a longer one that starts the same way every time', () => {
    for (let round = 0; round < 3; round++) {
      expect(limits.checkSource(small)).toBeUndefined();
      expect(limits.checkSource(large)?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'QUERY_MAX_TOKENS' });
      expect(limits.checkSource(`${small} `)).toBeUndefined();
    }
  });
});
