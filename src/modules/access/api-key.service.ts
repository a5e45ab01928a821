import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { GatewayError, badInput, notFound } from '../../platform/errors.js';
import type { AccessMode, ApiKeyRecord, ApiKeyRepository } from './api-key.repository.js';
import { OPEN_TENANT, type Caller } from './caller.js';

export interface KeyDefaults {
  /**
   * AUTH_REQUIRED: true refuses requests without a key, false serves them (as
   * the open tenant) even once keys exist; unset, the stored access mode
   * decides: closed from the first key on, until the operator runs `keys open`.
   */
  required: boolean | undefined;
  /**
   * KEY_CACHE_SECONDS: how long a key lookup, and the access mode, are
   * trusted from memory. A key revoked, or the mode changed, by another
   * process (the CLI) takes effect within it; this process's own changes at once.
   */
  cacheSeconds: number;
  requestsPerMinute: number;
  tokensPerDay: number;
}

export interface NewKeyOptions {
  tenant: string;
  label?: string | null;
  requestsPerMinute?: number | null;
  tokensPerDay?: number | null;
  /** May read every tenant's usage. */
  admin?: boolean;
}

const KEY_PREFIX = 'qvg_';

/** Whether an Authorization value carries a gateway key (as opposed to, say, a provider's `sk-…` key). */
export const isGatewayKey = (authorization: string | undefined): boolean => /^Bearer\s+qvg_/i.test(authorization?.trim() ?? '');
const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

const unauthenticated = (message: string) => new GatewayError('UNAUTHENTICATED', message);

/** API keys: created by the operator's CLI, presented as `Authorization: Bearer <key>`. Only hashes are stored. */
export class ApiKeyService {
  /** null when KEY_CACHE_SECONDS is 0 (every lookup asks the database). */
  private readonly byHash: LRUCache<string, { key: ApiKeyRecord | null }> | null;
  /** The stored access mode, trusted without asking the database until `until` (Date.now() ms). */
  private mode: { value: AccessMode; until: number } | null = null;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly defaults: KeyDefaults,
  ) {
    this.byHash = defaults.cacheSeconds > 0 ? new LRUCache({ max: 10_000, ttl: defaults.cacheSeconds * 1000 }) : null;
  }

  async create(options: NewKeyOptions): Promise<{ record: ApiKeyRecord; key: string }> {
    if (!TENANT_NAME.test(options.tenant)) throw badInput('A tenant name is 1–64 letters, digits, dots, dashes or underscores.');
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record = await this.keys.create({
      id: randomUUID(),
      tenant: options.tenant,
      label: options.label ?? null,
      hash: hashKey(key),
      prefix: key.slice(0, KEY_PREFIX.length + 6),
      requestsPerMinute: options.requestsPerMinute ?? null,
      tokensPerDay: options.tokensPerDay ?? null,
      admin: options.admin ?? false,
    });
    this.remember('closed');
    return { record, key };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.keys.list();
  }

  async revoke(id: string): Promise<ApiKeyRecord> {
    const revoked = await this.keys.revoke(id);
    if (!revoked) throw notFound('active API key', id);
    this.byHash?.clear();
    return revoked;
  }

  /** `keys open`: requests without a key are served again (as the open tenant). CONFLICT while active keys exist. */
  async open(): Promise<void> {
    const { opened, activeKeys } = await this.keys.open();
    if (!opened) {
      throw new GatewayError('CONFLICT', `${activeKeys} active API key(s) exist: revoke them first (keys list, keys revoke ID). Requests without a key would act as tenant "${OPEN_TENANT}".`);
    }
    this.remember('open');
  }

  /** Whether requests without a key are refused: AUTH_REQUIRED, else the stored access mode. */
  async keysRequired(): Promise<boolean> {
    if (this.defaults.required !== undefined) return this.defaults.required;
    const mode = this.mode && Date.now() < this.mode.until ? this.mode.value : this.remember(await this.keys.accessMode());
    return mode === 'closed';
  }

  /**
   * The caller behind an `Authorization` value (HTTP header or graphql-ws
   * connectionParams). A presented key is always looked up and acts as its
   * own tenant with its own limits, whatever the mode: in open mode too, an
   * unknown, revoked or malformed one is refused rather than served as the
   * open tenant. Only a request without any key can be the open tenant.
   */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    if (authorization?.trim()) return this.callerOfKey(authorization);
    if (await this.keysRequired()) throw unauthenticated('This gateway requires an API key: send "Authorization: Bearer <key>".');
    return this.callerWith(OPEN_TENANT, null, null);
  }

  /** A tenant was erased (its keys with it): its keys are not trusted from memory any more. */
  forgetTenant(tenant: string): void {
    if (!this.byHash) return;
    const hashes = [...this.byHash.entries()].filter(([, { key }]) => key?.tenant === tenant).map(([hash]) => hash);
    for (const hash of hashes) this.byHash.delete(hash);
  }

  /** The limits a job's key had (jobs run later, without a request). */
  async callerForJob(tenant: string, apiKeyId: string | null): Promise<Caller> {
    return this.callerWith(tenant, apiKeyId, apiKeyId ? await this.keys.findById(apiKeyId) : null);
  }

  /**
   * The caller a signed export link was minted for, checked again each time it
   * is followed (never from the key cache): FORBIDDEN once its key is revoked or
   * gone with its erased tenant, and, for a link minted while the gateway ran
   * open, once keys are required.
   */
  async callerForLink(tenant: string, apiKeyId: string | null): Promise<Caller> {
    if (apiKeyId === null) {
      if (await this.keysRequired()) throw new GatewayError('FORBIDDEN', 'This export link was minted before the gateway required API keys: ask exportUrl for a new one, with a key.');
      return this.callerWith(tenant, null, null);
    }
    const record = await this.keys.findById(apiKeyId);
    if (!record || record.revokedAt || record.tenant !== tenant) {
      throw new GatewayError('FORBIDDEN', 'The API key this export link was minted with is revoked (or its tenant erased): ask exportUrl for a new one, with a valid key.');
    }
    return this.callerWith(tenant, apiKeyId, record);
  }

  private async callerOfKey(authorization: string): Promise<Caller> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('Send the API key as "Authorization: Bearer <key>".');
    const record = await this.lookup(hashKey(match[1]!));
    if (!record || record.revokedAt) throw unauthenticated('The API key is not valid (unknown or revoked). Ask the operator for a key.');
    return this.callerWith(record.tenant, record.id, record);
  }

  /** A caller with its key's limits, or the defaults where the key sets none (or there is no key). */
  private callerWith(tenant: string, apiKeyId: string | null, record: ApiKeyRecord | null): Caller {
    return {
      tenant,
      apiKeyId,
      requestsPerMinute: record?.requestsPerMinute ?? this.defaults.requestsPerMinute,
      tokensPerDay: record?.tokensPerDay ?? this.defaults.tokensPerDay,
      admin: record?.admin ?? false,
    };
  }

  private remember(mode: AccessMode): AccessMode {
    this.mode = { value: mode, until: Date.now() + this.defaults.cacheSeconds * 1000 };
    return mode;
  }

  private async lookup(hash: string): Promise<ApiKeyRecord | null> {
    const cached = this.byHash?.get(hash);
    if (cached) return cached.key;
    const key = await this.keys.findByHash(hash);
    this.byHash?.set(hash, { key });
    return key;
  }
}
