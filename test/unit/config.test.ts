import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_QWEN_BASE_URL, loadConfig } from '../../src/platform/config.js';

describe('configuration', () => {
  it('defaults to the embedded SQLite database and DashScope, unconfigured without a key', () => {
    const config = loadConfig({ DATA_DIR: '/srv/gw' });
    expect(config.databaseUrl).toBe('file:/srv/gw/gateway.db');
    expect(config.port).toBe(4000);
    expect(config.model.baseUrl).toBe(DEFAULT_QWEN_BASE_URL);
    expect(config.model.name).toBe('qwen-vl-max');
    expect(config.model.maxPixels).toBe(1_003_520);
    expect(config.model.configured).toBe(false);
  });

  it('counts a key or a non-default endpoint (local vLLM/Ollama) as configured', () => {
    expect(loadConfig({ DASHSCOPE_API_KEY: 'k' }).model.apiKey).toBe('k');
    expect(loadConfig({ DASHSCOPE_API_KEY: 'k' }).model.configured).toBe(true);
    expect(loadConfig({ QWEN_BASE_URL: 'http://localhost:8000/v1/' }).model).toMatchObject({ configured: true, baseUrl: 'http://localhost:8000/v1' });
  });

  it('scopes the answer cache to each tenant unless CACHE_SCOPE=global', () => {
    expect(loadConfig({}).cacheScope).toBe('tenant');
    expect(loadConfig({ CACHE_SCOPE: 'global' }).cacheScope).toBe('global');
    expect(() => loadConfig({ CACHE_SCOPE: 'everyone' })).toThrow(/CACHE_SCOPE must be tenant or global/);
  });

  it('keeps blobs in files unless S3_BUCKET is set, and shapes the S3 settings', () => {
    expect(loadConfig({}).s3).toBeNull();
    expect(loadConfig({ S3_BUCKET: 'images', S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'true', S3_PREFIX: 'gw//' }).s3).toEqual({
      bucket: 'images',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      prefix: 'gw/',
      region: 'us-east-1',
    });
    expect(loadConfig({ S3_BUCKET: 'images', AWS_REGION: 'eu-west-3' }).s3).toMatchObject({ endpoint: undefined, forcePathStyle: false, prefix: '', region: 'eu-west-3' });
    expect(() => loadConfig({ S3_BUCKET: 'Not_A_Bucket' })).toThrow(/S3_BUCKET must be an S3 bucket name/);
    expect(() => loadConfig({ S3_BUCKET: 'images', S3_ENDPOINT: 'minio:9000' })).toThrow(/S3_ENDPOINT must be an http\(s\) URL/);
  });

  it('takes QWEN_GLOBAL_MAX_CONCURRENCY only with REDIS_URL, where the replicas share it', () => {
    expect(loadConfig({}).model.globalMaxConcurrency).toBeNull();
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', QWEN_GLOBAL_MAX_CONCURRENCY: '16' }).model.globalMaxConcurrency).toBe(16);
    expect(() => loadConfig({ QWEN_GLOBAL_MAX_CONCURRENCY: '16' })).toThrow(/^invalid configuration: QWEN_GLOBAL_MAX_CONCURRENCY needs REDIS_URL/);
  });

  it('reads ALLOWED_HOSTS as lower-case host names (punycode for IDNs), `*` as any host, and refuses ports, schemes and paths', () => {
    expect(loadConfig({}).browser.allowedHosts).toEqual([]);
    expect(loadConfig({ ALLOWED_HOSTS: 'Gateway.NS.svc., *.internal.example, bücher.example' }).browser.allowedHosts).toEqual(['gateway.ns.svc', '*.internal.example', 'xn--bcher-kva.example']);
    expect(loadConfig({ ALLOWED_HOSTS: '*' }).browser.allowedHosts).toBe('any');
    for (const bad of ['gateway.example.com:8443', 'https://gateway.example.com', 'gateway/qwen', 'user@gateway', 'a*b.example']) {
      expect(() => loadConfig({ ALLOWED_HOSTS: bad })).toThrow(`invalid configuration: ALLOWED_HOSTS "${bad}" is not a host name`);
    }
  });

  it('reads the image resolution, output cap and quota backoff of the model endpoint (issue 23)', () => {
    expect(loadConfig({}).model).toMatchObject({ highResolutionImages: false, maxOutputTokens: null, quotaBackoffSeconds: 300 });
    expect(loadConfig({ QWEN_HIGH_RESOLUTION_IMAGES: 'true', QWEN_MAX_OUTPUT_TOKENS: '4096', QWEN_QUOTA_BACKOFF_SECONDS: '60' }).model).toMatchObject({
      highResolutionImages: true,
      maxOutputTokens: 4096,
      quotaBackoffSeconds: 60,
    });
    expect(() => loadConfig({ QWEN_QUOTA_BACKOFF_SECONDS: '0' })).toThrow(/QWEN_QUOTA_BACKOFF_SECONDS must be at least 1/);
  });

  it('names every invalid variable, one line each', () => {
    try {
      loadConfig({ PORT: 'eighty', QWEN_MAX_CONCURRENCY: '0', DATABASE_URL: 'mysql://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const lines = (error as Error).message.split('\n');
      expect(lines).toHaveLength(3);
      expect(lines.join('\n')).toMatch(/PORT/);
      expect(lines.join('\n')).toMatch(/QWEN_MAX_CONCURRENCY/);
      expect(lines.join('\n')).toMatch(/DATABASE_URL/);
    }
  });

  it('reads a PERSISTED_DOCUMENTS manifest as the client preset writes it, and refuses keys that are not the sha256 of their document', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
    const manifest = (name: string, content: Record<string, string>) => {
      const file = path.join(dir, name);
      writeFileSync(file, JSON.stringify(content));
      return file;
    };
    const document = 'query A { images(first: 1) { edges { cursor } } }';
    const hex = createHash('sha256').update(document).digest('hex');
    expect(loadConfig({}).persistedDocuments).toEqual({ manifest: {}, only: false });
    // "sha256:<hex>" (client preset 5 and later) and a bare hex (earlier) both name their document.
    const good = manifest('good.json', { [`sha256:${hex}`]: document, [createHash('sha256').update('{ a }').digest('hex')]: '{ a }' });
    expect(loadConfig({ PERSISTED_DOCUMENTS: good, PERSISTED_DOCUMENTS_ONLY: 'true' }).persistedDocuments).toMatchObject({ only: true, manifest: { [`sha256:${hex}`]: document } });
    const wrong = manifest('wrong.json', { [`sha256:${hex}`]: `${document} ` });
    expect(() => loadConfig({ PERSISTED_DOCUMENTS: wrong })).toThrow(/^invalid configuration: PERSISTED_DOCUMENTS .*wrong\.json: "sha256:[0-9a-f]+" is not the sha256 of its document/);
    expect(() => loadConfig({ PERSISTED_DOCUMENTS: manifest('list.json', ['{ a }'] as unknown as Record<string, string>) })).toThrow(/PERSISTED_DOCUMENTS .*expected \{"<sha256>": "<document>"\}/);
  });
});
