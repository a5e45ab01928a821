import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseExportArgs } from '../../src/cli/export/options.js';
import { gatewayRoot } from '../../src/cli/gateway-url.js';
import { parseOptions } from '../../src/cli/ingest/options.js';

const quiet = { out: () => {}, err: () => {} };
const ingestUrl = (...argv: string[]) => parseOptions(['photos', ...argv], quiet).url;
const exportUrl = (...argv: string[]) => parseExportArgs(['questions', ...argv]).url.href;

afterEach(() => vi.unstubAllEnvs());

describe('the gateway URL of ingest and export', () => {
  it('defaults to the same gateway for both: npm start on this machine', () => {
    vi.stubEnv('GATEWAY_URL', undefined);
    expect(ingestUrl()).toBe('http://localhost:4000/graphql');
    expect(exportUrl()).toBe('http://localhost:4000/export/questions.jsonl');
  });

  it('follows GATEWAY_URL in both, and --url over it', () => {
    vi.stubEnv('GATEWAY_URL', 'https://gw.example.com/team-a/');
    expect(ingestUrl()).toBe('https://gw.example.com/team-a/graphql');
    expect(exportUrl()).toBe('https://gw.example.com/team-a/export/questions.jsonl');
    expect(ingestUrl('--url', 'http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000/graphql');
  });

  it('takes the gateway’s address or its /graphql endpoint alike', () => {
    for (const given of ['http://host:4000', 'http://host:4000/', 'http://host:4000/graphql', 'http://host:4000/graphql/']) {
      expect(gatewayRoot(given)).toBe('http://host:4000');
      expect(ingestUrl('--url', given)).toBe('http://host:4000/graphql');
      expect(exportUrl('--url', given)).toBe('http://host:4000/export/questions.jsonl');
    }
    expect(() => gatewayRoot('localhost:4000')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => gatewayRoot('not a url')).toThrow(/not a URL/);
  });
});
