import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';

const compose = () => readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8');

/** Compose's interpolation of the variables this file uses, as `docker compose` does with an empty environment. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::?([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (kind === '?') throw new Error(`docker compose refuses to start: ${name} is required (${rest})`);
    return kind === '-' ? (rest ?? '') : '';
  });
}

describe('docker-compose.yml', () => {
  it('starts with no variable set: a local model server needs no QWEN_API_KEY', async () => {
    const text = interpolate(await compose(), { QWEN_BASE_URL: 'http://host.docker.internal:11434/v1' });
    const apiKey = /^\s+QWEN_API_KEY: (.*)$/m.exec(text)?.[1];
    expect(apiKey).toBe('');
    // The empty values compose passes on count as unset, so the gateway starts on the local endpoint.
    const config = loadConfig({ QWEN_API_KEY: apiKey, URL_SIGNING_SECRET: '', QWEN_BASE_URL: 'http://host.docker.internal:11434/v1' });
    expect(config.model).toMatchObject({ apiKey: undefined, configured: true });
    expect(config.browser.urlSigningSecret).toBeUndefined();
  });

  it('lets a model server on the host be reached from the replicas', async () => {
    expect(await compose()).toMatch(/extra_hosts:\s*\n\s*- "host\.docker\.internal:host-gateway"/);
  });
});
