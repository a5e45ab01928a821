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
});
