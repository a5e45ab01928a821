/**
 * The API key the user typed, kept for this tab only (sessionStorage: gone
 * when the tab closes, never sent anywhere but this gateway). The console and
 * GraphiQL share it. Never part of the build: nothing secret is bundled.
 */
const STORAGE_KEY = 'qwen-vl-gateway.apiKey';

export function readApiKey(): string {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return ''; // storage disabled: the key lives only in memory
  }
}

export function storeApiKey(key: string): void {
  try {
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage disabled: nothing to keep
  }
}

/** HTTP headers and graphql-ws connectionParams for a key; none while the gateway runs open. */
export function authorization(key: string): { authorization?: string } {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** The WebSocket URL of this page's own gateway (ws: beside http:, wss: beside https:). */
export function webSocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
}
