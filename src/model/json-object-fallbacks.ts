import type { Logger } from '../platform/logger.js';

/** Where the endpoints that took json_object are kept: the gateway's shared settings table. */
export interface FallbackStore {
  /** Names of stored settings starting with `prefix`. */
  names(prefix: string): Promise<string[]>;
  getOrInsert(name: string, candidate: string): Promise<string>;
}

const PREFIX = 'json-object-fallback:';

/**
 * The endpoints and models (circuit labels: no credentials) that answered 400
 * to `response_format: json_schema` and then took `json_object`: structured
 * prompts go to them in json_object mode. Kept in the database, so a restart
 * or another replica starting later does not pay the refused request again;
 * a replica already running learns from its own first refusal (one request),
 * since reading the table before every structured call would put a statement
 * on the hot path.
 */
export class JsonObjectFallbacks {
  private readonly known = new Set<string>();

  constructor(
    private readonly store?: FallbackStore,
    private readonly logger?: Logger,
  ) {}

  /** What earlier processes learnt. */
  async load(): Promise<void> {
    if (!this.store) return;
    for (const name of await this.store.names(PREFIX)) this.known.add(name.slice(PREFIX.length));
  }

  has(label: string): boolean {
    return this.known.has(label);
  }

  /** `label` takes json_object only: remembered here at once, stored for the others (a failed write is logged, not thrown). */
  learn(label: string): void {
    if (this.known.has(label)) return;
    this.known.add(label);
    this.logger?.warn({ endpoint: label }, 'model endpoint refused response_format json_schema and took json_object: structured prompts use json_object from now on');
    this.store?.getOrInsert(`${PREFIX}${label}`, new Date().toISOString()).catch((error: unknown) => {
      this.logger?.warn({ err: error, endpoint: label }, 'could not store the json_object fallback: other processes learn it from their own first refusal');
    });
  }
}
