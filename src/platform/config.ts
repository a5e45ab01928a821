import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** The DashScope (Alibaba Cloud Model Studio) international endpoint, the contract's default. */
export const DEFAULT_QWEN_BASE_URL = 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const bool = z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).transform((v) => v === 'true' || v === '1');

/** A number of days, or `off` (kept for ever). */
const days = z.union([z.literal('off').transform(() => null), int(1, 36_500)], { error: 'must be a number of days (at least 1) or off' });

const list = z.string().transform((v) => v.split(',').map((item) => item.trim()).filter(Boolean));

/** Browser origins (scheme://host[:port]), normalised the way browsers send them in `Origin`. */
const origins = z.string().transform((value, ctx) => {
  const result: string[] = [];
  for (const item of value.split(',').map((entry) => entry.trim()).filter(Boolean)) {
    const url = URL.canParse(item) ? new URL(item) : undefined;
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== item.replace(/\/+$/, '')) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not an origin: use scheme://host[:port], e.g. http://localhost:5173` });
      return z.NEVER;
    }
    result.push(url.origin);
  }
  return result;
});

/**
 * Host names the gateway answers for (the `Host` header, any port), lower-case,
 * without a trailing dot; `*.name` for its subdomains; `*` for every host (the check is off).
 */
const hostNames = z.string().transform((value, ctx) => {
  const result: string[] = [];
  for (const item of value.split(',').map((entry) => entry.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean)) {
    if (item === '*') {
      result.push(item);
      continue;
    }
    // A bare name parses back to itself (IDNs to their punycode, as browsers send them); a port, path or user does not.
    const url = URL.canParse(`http://${item}`) ? new URL(`http://${item}`) : undefined;
    const wildcard = item.includes('*') && !/^\*\.[^*]+$/.test(item);
    if (!url || url.href !== `http://${url.hostname}/` || /:\d*$/.test(item) || wildcard) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not a host name: list names without scheme or port (any port is admitted), e.g. gateway.example.com or *.example.com, or * alone for any host` });
      return z.NEVER;
    }
    result.push(url.hostname);
  }
  return result;
});

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Comma-separated durations with a unit (`500ms`, `5s`, `5m`, `2h`, `1d`), in milliseconds. */
const durations = z.string().transform((value, ctx) => {
  const result: number[] = [];
  for (const item of value.split(',').map((entry) => entry.trim()).filter(Boolean)) {
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(item);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not a duration: use a whole number and a unit (ms, s, m, h, d), e.g. 5s,5m,30m,2h` });
      return z.NEVER;
    }
    result.push(Number(match[1]) * DURATION_UNITS_MS[match[2]!]!);
  }
  return result;
});

/** A Standard Webhooks signing secret: `whsec_` and the base64 of 24 to 64 random bytes. */
const webhookSecret = z.string().refine((value) => {
  const key = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value)?.[1];
  const bytes = key === undefined ? 0 : Buffer.from(key, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}, 'must be whsec_ followed by the base64 of 24 to 64 random bytes, e.g. whsec_$(openssl rand -base64 32)');

const fallbackSchema = z.array(
  z.object({ baseUrl: z.url().optional(), model: z.string().min(1).optional(), apiKey: z.string().optional() }).strict(),
);

const fallbacks = z.string().transform((value, ctx) => {
  try {
    const parsed = fallbackSchema.safeParse(JSON.parse(value));
    if (parsed.success) return parsed.data;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {"baseUrl"?, "model"?, "apiKey"?} objects' });
  return z.NEVER;
});

/** A price per million tokens: a plain decimal with at most 6 places (money is summed exactly). */
const pricePerMillion = z.union([z.number().nonnegative(), z.string()]).refine((v) => /^\d+(\.\d{1,6})?$/.test(String(v)), 'a price must be a decimal ≥ 0 with at most 6 places');
const modelPricesSchema = z.record(
  z.string().min(1),
  z.object({ currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be a 3-letter code such as USD'), inputPerMillion: pricePerMillion, outputPerMillion: pricePerMillion, cachedInputPerMillion: pricePerMillion.optional() }).strict(),
);

/** A JSON file a setting names, read at start-up; undefined (the problem reported) when it cannot be read as JSON. */
function readJsonFile(file: string, ctx: { addIssue(issue: { code: 'custom'; message: string }): void }): { json: unknown } | undefined {
  try {
    return { json: JSON.parse(readFileSync(file, 'utf8')) as unknown };
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `could not read ${file} as JSON (${error instanceof Error ? error.message : String(error)})` });
    return undefined;
  }
}

/** MODEL_PRICES: the path of a JSON file of prices per model, read and checked at start-up. */
const modelPrices = z.string().transform((file, ctx) => {
  const read = readJsonFile(file, ctx);
  if (!read) return z.NEVER;
  const { json } = read;
  const parsed = modelPricesSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  ctx.addIssue({ code: 'custom', message: `${file}: ${issue.path.join('.')}: ${issue.message} (expected {"<model>": {"currency": "USD", "inputPerMillion": 0.8, "outputPerMillion": 3.2, "cachedInputPerMillion"?: 0.16}})` });
  return z.NEVER;
});

/**
 * PERSISTED_DOCUMENTS: the path of a trusted-documents manifest, `{"sha256:<hex>": "<document>"}`
 * as GraphQL Code Generator's client preset writes it; each key must be the sha256 of its document,
 * which is what clients send as `documentId` (`sha256:<hex>`) or as Apollo's `sha256Hash`.
 */
const persistedDocuments = z.string().transform((file, ctx) => {
  const read = readJsonFile(file, ctx);
  if (!read) return z.NEVER;
  const { json } = read;
  const parsed = z.record(z.string(), z.string()).safeParse(json);
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: `${file}: expected {"<sha256>": "<document>"}, as GraphQL Code Generator writes persisted-documents.json` });
    return z.NEVER;
  }
  // The client preset writes "sha256:<hex>" keys (older versions a bare hex).
  const wrong = Object.entries(parsed.data).find(([hash, document]) => hash.replace(/^sha256:/, '') !== sha256(document));
  if (wrong) {
    ctx.addIssue({ code: 'custom', message: `${file}: "${wrong[0].slice(0, 80)}" is not the sha256 of its document ("sha256:<hex>"); generate the manifest with hashAlgorithm sha256` });
    return z.NEVER;
  }
  return parsed.data;
});

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production')
    .describe('`development` adds stack traces to errors and turns the GraphQL explorer on; `test` is for the test suite'),
  PORT: int(0, 65535).default(4000).describe('HTTP and WebSocket port; GraphQL at `/graphql` for both'),
  DATA_DIR: z.string().min(1).default('./data').describe('the SQLite file, blobs (`blobs/`) and temporary uploads (`tmp/`) live here'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, 'must start with file: (SQLite) or postgres:// (PostgreSQL)')
    .optional()
    .meta({
      description: '`file:` → SQLite; `postgres://…` → PostgreSQL (`?schema=name` supported); see [Database and migrations](#database-and-migrations)',
      default: '`file:<DATA_DIR>/gateway.db`',
    }),
  QWEN_BASE_URL: z.url('must be an http(s) URL').default(DEFAULT_QWEN_BASE_URL)
    .describe('any OpenAI-compatible Chat Completions endpoint; anything but the DashScope default needs no key'),
  QWEN_API_KEY: z.string().optional().describe('bearer key for the endpoint; never logged'),
  DASHSCOPE_API_KEY: z.string().optional().describe('read when `QWEN_API_KEY` is not set'),
  QWEN_MODEL: z.string().min(1).default('qwen-vl-max').describe('model name sent upstream (part of the cache key)'),
  QWEN_TIMEOUT_MS: int(100).default(60_000).describe('per upstream request attempt'),
  QWEN_MAX_RETRIES: int(0, 10).default(2).describe('retries of 429, 5xx, resets and timeouts (exponential backoff with jitter, honours `Retry-After`)'),
  QWEN_MAX_CONCURRENCY: int(1, 1024).default(8).describe('upstream requests in flight per process (per replica: see [Scale-out](scale-out-and-deployment.md#scale-out))'),
  QWEN_GLOBAL_MAX_CONCURRENCY: int(1, 100_000).optional()
    .describe('with `REDIS_URL`: upstream requests in flight across all replicas together (each still at most `QWEN_MAX_CONCURRENCY`)'),
  QWEN_MAX_PIXELS: int(10 * 10).default(1_003_520).describe('larger images are downscaled (aspect kept) before sending; the original is kept'),
  QWEN_HIGH_RESOLUTION_IMAGES: bool.default(false)
    .describe("send `vl_high_resolution_images: true`: the endpoint keeps up to 16,384 image tokens instead of its default limit (see [Models](models.md)); images cost more tokens, and boxes and estimates follow the larger frame. On a self-hosted server, `true` matches the checkpoint's own default limit"),
  QWEN_MAX_OUTPUT_TOKENS: int(1).optional()
    .meta({ description: 'the largest `max_tokens` the model accepts; packed calls are split so that prompts × `TOKEN_RESERVE_PER_ANSWER` stays within it', default: "its family's cap from [Models](models.md) (none for unknown models)" }),
  QWEN_QUOTA_BACKOFF_SECONDS: int(1, 86_400).default(300)
    .describe('after the endpoint reports the account out of quota or credit (`MODEL_QUOTA_EXHAUSTED`), requests to it fail fast for this long without being sent; job items wait it out'),
  QWEN_MAX_PROMPTS_PER_CALL: int(1, 64).default(8).describe('prompts packed into one upstream request; more are split'),
  QWEN_THINKING_BUDGET: int(1).optional()
    .meta({ description: 'reasoning tokens a thinking model may spend per request, sent as `thinking_budget` (with `enable_thinking: true`, which turns thinking on for hybrid models such as `qwen3-vl-plus`); reserved from the token budget on top of `TOKEN_RESERVE_PER_ANSWER` (see [Models](models.md#thinking-models))', default: "unset: hybrid models do not think; thinking-only models (`qvq-*`, `qwen3-vl-*-thinking`) reserve their family's most" }),
  QWEN_OCR_MODEL: z.string().min(1).optional()
    .meta({ description: 'model that reads text in images (`Image.text`, e.g. `qwen-vl-ocr`), on the primary endpoint; its answers are cached under it (see [Models](models.md#routing-and-fallback))', default: '`QWEN_MODEL`' }),
  QWEN_FALLBACK_MODELS: list.default([])
    .describe('comma-separated models on the primary endpoint tried in order when the model asked is unavailable (5xx, timeouts, an open circuit, 429), before `QWEN_FALLBACKS`; never on `MODEL_QUOTA_EXHAUSTED` or `MODEL_REJECTED`'),
  MAX_UPLOAD_BYTES: int(1).default(20 * 1024 * 1024).describe('bytes per file (`PAYLOAD_TOO_LARGE` beyond)'),
  MAX_UPLOAD_FILES: int(1, 1000).default(20).describe('files per request (`PAYLOAD_TOO_LARGE` beyond)'),
  MAX_IMAGE_PIXELS: int(100).default(40_000_000).describe('width × height per image, read from the header before decoding (`IMAGE_TOO_LARGE` beyond)'),
  MAX_QUESTION_LENGTH: int(1).default(2000).describe('characters per question or conversation message (`BAD_USER_INPUT` beyond)'),
  MAX_IMAGES_PER_QUESTION: int(1, 64).default(8).describe('images in one conversation or one `askAboutImages` question (`BAD_USER_INPUT` beyond)'),
  MODERATION_POLICY: z.string().max(4000).optional()
    .describe('policy text (at most 4000 characters) appended to the moderation instruction (see [Moderation](vision.md#moderation))'),
  MODERATE_UPLOADS: bool.default(false)
    .describe('`true`: every new upload is moderated in the background, as a job (see [Moderation in jobs and on upload](vision.md#moderation-in-jobs-and-on-upload))'),
  QWEN_BOX_FORMAT: z.enum(['auto', 'absolute', 'relative1000'], { error: 'must be auto, absolute or relative1000' }).default('auto')
    .describe('box coordinates the model writes: `absolute` (Qwen2.5-VL), `relative1000` (Qwen3-VL), `auto` by model name (see [Object detection](vision.md#object-detection))'),
  CONVERSATION_MAX_CONTEXT_TOKENS: int(100).default(24_000)
    .describe('context sent with a conversation turn: images, first and new message, then the newest exchanges that fit (see [Conversations](conversations-and-streaming.md#conversations))'),
  NEAR_DUPLICATE_DISTANCE: int(0, 16).default(10)
    .describe('most bits the 64-bit perceptual hashes of near-duplicate images differ in (`Image.nearDuplicates`; their finer grids must match too, see [Near-duplicate images](near-duplicates.md))'),
  CACHE_SIMILAR_IMAGES: bool.default(false)
    .describe("`true`: a caption, answer or vision result of an image is served from a near-duplicate's stored one in the same cache scope (see [Near-duplicate images](near-duplicates.md#reusing-answers))"),
  CACHE_SIMILAR_PROMPTS: bool.default(false)
    .describe('`true`: a question whose embedding is within `SIMILAR_PROMPT_THRESHOLD` of a stored question on the same image is answered from it; needs `QWEN_EMBEDDING_MODEL` (see [Near-duplicate images](near-duplicates.md#similar-questions))'),
  QWEN_EMBEDDING_MODEL: z.string().min(1).optional()
    .describe('embedding model on the primary endpoint (its OpenAI-compatible `/embeddings`, e.g. `text-embedding-v4`) for `CACHE_SIMILAR_PROMPTS`'),
  SIMILAR_PROMPT_THRESHOLD: z.coerce.number({ error: 'must be a number' }).min(0.5, 'must be at least 0.5').max(1, 'must be at most 1').default(0.95)
    .describe('least cosine similarity of two questions answered alike (`CACHE_SIMILAR_PROMPTS`)'),
  MODEL_REFUSAL_TTL_SECONDS: int(0).default(600)
    .describe("how long a caption or question the provider's content filter refused (`data_inspection_failed`) is answered `MODEL_REJECTED` from memory, without asking again (0: always ask; see [Replies cut short or refused](vision.md#replies-cut-short-or-refused))"),
  ANSWER_CACHE_SIZE: int(0).default(10_000).describe('answers kept in the in-memory layer in front of the database (0 turns it off)'),
  CACHE_SCOPE: z.enum(['tenant', 'global'], { error: 'must be tenant or global' }).default('tenant')
    .describe("whose stored answers serve a request: its own tenant's (`tenant`), or any tenant's with the same bytes (`global`, a privacy trade-off: see [API keys and tenants](security-and-operations.md#api-keys-and-tenants))"),
  MODEL_PRICES: modelPrices.optional()
    .meta({ description: 'path of a JSON file of prices per model, `{"qwen-vl-max": {"currency": "USD", "inputPerMillion": 0.8, "outputPerMillion": 3.2, "cachedInputPerMillion": 0.16}}`, over the built-in table (see [Cost in money](analytics.md#cost-in-money))', default: 'the built-in Qwen VL prices' }),
  ANALYTICS_QUERY_TIMEOUT_MS: int(1).default(5_000).describe('time limit of one stored-results list or `totalCount` query on PostgreSQL (`QUERY_TOO_COMPLEX` beyond)'),
  JOB_CONCURRENCY: int(1, 64).default(2).describe('jobs run at once per process'),
  JOB_MAX_ITEMS: int(1).default(1000).describe('items (images × prompts) per job (`BAD_USER_INPUT` beyond)'),
  JOB_ITEM_RETRIES: int(0, 10).default(3).describe('extra attempts for items whose upstream failure is transient'),
  JOB_RETRY_DELAY_MS: int(0).default(1000).describe('first retry delay of a job item (doubles, with jitter)'),
  SHUTDOWN_GRACE_MS: int(0).default(10_000).describe('on SIGTERM, how long in-flight upstream calls may take to finish'),
  QWEN_DEADLINE_MS: int(100).default(120_000).describe('overall deadline per model request, retries and fallbacks included'),
  QWEN_FALLBACKS: fallbacks.default([])
    .describe('JSON array of `{"baseUrl"?, "model"?, "apiKey"?}` tried in order when the primary is unavailable (unset fields inherit the primary\'s; see [Upstream resilience](security-and-operations.md#upstream-resilience))'),
  CIRCUIT_FAILURE_THRESHOLD: int(1, 100).default(50).describe('percentage of recent calls that failed which opens the circuit breaker of an endpoint'),
  CIRCUIT_MIN_REQUESTS: int(1).default(5).describe('recent calls the circuit breaker needs before it may open'),
  CIRCUIT_RESET_MS: int(100).default(30_000).describe('how long an open circuit fails fast before it probes the endpoint again'),
  AUTH_REQUIRED: bool.optional().meta({
    description: '`true`: keys always required; `false`: requests without a key are served as the open tenant even when keys exist; unset: the stored access mode (closed from the first key on, until `npm run keys -- open`)',
    default: 'unset',
  }),
  TENANT_ERASURE_CHECK_MS: int(50, 3_600_000).default(5_000)
    .describe('how often a gateway looks for tenants erased by another process (`tenants delete`), to drop them from its memory caches'),
  KEY_CACHE_SECONDS: int(0, 3600).default(5)
    .describe('how long a key lookup, and the access mode, are trusted from memory: a key revoked, or the first key created, by another process (the CLI) takes effect within it (0: ask the database on every request)'),
  RATE_LIMIT_PER_MINUTE: int(1).default(600).describe('requests per minute per key, unless the key sets its own (`RATE_LIMITED` beyond)'),
  TOKEN_BUDGET_PER_DAY: int(1).default(2_000_000).describe('model tokens per day per key, unless the key sets its own (`RATE_LIMITED` beyond)'),
  TOKEN_RESERVE_PER_ANSWER: int(1).default(512)
    .describe('completion tokens reserved per answer, with the image and prompt estimate, before each upstream call (see [Limits](security-and-operations.md#limits))'),
  QUERY_MAX_DEPTH: int(1, 100).default(10).describe('depth of an operation (`QUERY_TOO_COMPLEX` beyond)'),
  QUERY_MAX_ALIASES: int(0, 1000).default(30).describe('aliases in an operation (`QUERY_TOO_COMPLEX` beyond)'),
  QUERY_MAX_COST: int(1).default(5000).describe('cost of an operation: 1 per field, 50 per model-backed field, lists × `first` (`QUERY_TOO_COMPLEX` beyond)'),
  QUERY_MAX_PROMPTS: int(1, 1000).default(50).describe('distinct model prompts per operation (`QUERY_TOO_COMPLEX` beyond; use `submitAnalysis` for bulk work)'),
  QUERY_MAX_VARIABLES_BYTES: int(1).default(256 * 1024).describe("size of an operation's variables"),
  QUERY_MAX_TOKENS: int(100).default(10_000).describe('GraphQL tokens per document, counted before parsing'),
  QUERY_MAX_DIRECTIVES: int(0, 10_000).default(50).describe('directives per operation'),
  QUERY_MAX_VARIABLES: int(0, 10_000).default(100).describe('variable definitions per operation'),
  WS_MAX_SUBSCRIPTIONS: int(1, 1000).default(20).describe('subscriptions at once per WebSocket'),
  WS_CONNECTION_INIT_TIMEOUT_MS: int(100).default(5_000).describe('time a new WebSocket has to send `connection_init`'),
  WS_MAX_LIFETIME_SECONDS: int(1).default(3600).describe("a WebSocket's longest life (closed with 1000; clients reconnect)"),
  WS_IDLE_TIMEOUT_SECONDS: int(1).default(600).describe('longest time a WebSocket may go without an operation'),
  WS_MAX_CONNECTIONS: int(1).default(2000).describe('open WebSockets in all (HTTP 503 before the upgrade beyond)'),
  WS_MAX_CONNECTIONS_PER_KEY: int(1).default(50).describe('open WebSockets per API key, or per tenant in open mode (closed with 4429 beyond)'),
  WS_MAX_BUFFERED_BYTES: int(64 * 1024).default(8 * 1024 * 1024).describe('unsent bytes after which a WebSocket whose client stopped reading is dropped'),
  JOB_MAX_ACTIVE_PER_TENANT: int(1).default(20).describe("a tenant's queued or running jobs (`RATE_LIMITED` beyond)"),
  JOB_MAX_QUEUED_ITEMS_PER_TENANT: int(1).default(20_000).describe("unanswered items across a tenant's active jobs (`RATE_LIMITED` beyond)"),
  IMPORT_ALLOWED_HOSTS: list.default([]).describe('comma-separated hosts (`host` or `host:port`) `importImage` may reach even on private addresses'),
  IMPORT_TIMEOUT_MS: int(100).default(15_000).describe('time limit of one `importImage` fetch'),
  IMPORT_MAX_REDIRECTS: int(0, 10).default(3).describe('redirects `importImage` follows'),
  WEBHOOK_SECRET: webhookSecret.optional()
    .meta({ description: 'signs job webhooks (Standard Webhooks: `whsec_` and the base64 of 24 to 64 random bytes, e.g. `whsec_$(openssl rand -base64 32)`); never logged. Unset: `submitAnalysis` refuses a `webhookUrl` (see [Job webhooks](api.md#job-webhooks))', default: 'unset' }),
  WEBHOOK_ALLOWED_HOSTS: list.default([]).describe('comma-separated hosts (`host` or `host:port`) a job webhook may be sent to even on private, loopback or link-local addresses'),
  WEBHOOK_TIMEOUT_MS: int(100).default(10_000).describe('time a webhook receiver has to answer one attempt; longer counts as a failed attempt'),
  WEBHOOK_RETRY_SCHEDULE: durations.default([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000])
    .meta({ description: 'waits before each retry of a job webhook that failed (non-2xx, redirect, timeout), as durations (`ms`, `s`, `m`, `h`, `d`); once they are used up the delivery is given up', default: '`5s,5m,30m,2h,5h,10h,10h`' }),
  WEBHOOK_POLL_MS: int(50, 3_600_000).default(5_000)
    .describe('how often the database is searched for job webhooks due (after a restart, or scheduled by a process that stopped); retries this process schedules itself are on time'),
  PERSISTED_DOCUMENTS: persistedDocuments.optional()
    .meta({ description: 'path of a trusted-documents manifest `{"<sha256>": "<document>"}` (GraphQL Code Generator\'s `persisted-documents.json`): clients run a listed document by `documentId` (`sha256:<hex>`) or `extensions.persistedQuery.sha256Hash` (see [Trusted documents](browser-clients.md#trusted-documents))', default: "none (the web console's own manifest is always trusted)" }),
  PERSISTED_DOCUMENTS_ONLY: bool.default(false)
    .describe('`true`: only trusted documents run (HTTP, uploads and graphql-ws); a document sent as text is refused with `PERSISTED_QUERY_NOT_IN_LIST` (HTTP 400), GraphiQL and automatic persisted queries of unlisted documents included'),
  LOG_PROMPTS: bool.default(false).describe('log prompts, and record them on trace spans (debugging only; never image bytes or keys)'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://otel-collector:4318' }).optional()
    .describe('set: OpenTelemetry traces (a trace per request and GraphQL operation, a span per model call) go to this OTLP/HTTP collector, `/v1/traces` appended (see [Tracing](security-and-operations.md#tracing-opentelemetry)); unset: no OpenTelemetry SDK is loaded'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://otel-collector:4318/v1/traces' }).optional()
    .describe('the full traces URL instead (nothing appended); also turns tracing on'),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json'], { error: 'must be http/protobuf or http/json (gRPC is not supported)' }).default('http/protobuf')
    .describe('encoding of the OTLP/HTTP export'),
  OTEL_SERVICE_NAME: z.string().min(1).default('qwen-vl-gateway').describe("the traces' `service.name`"),
  OTEL_TRACES_SAMPLER: z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], {
    error: 'must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio',
  }).default('parentbased_always_on').describe("which requests are traced (read by the OpenTelemetry SDK); `parentbased_*` follows a caller's `traceparent`"),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number({ error: 'must be a number from 0 to 1' }).min(0, 'must be a number from 0 to 1').max(1, 'must be a number from 0 to 1').optional()
    .meta({ description: 'the share of traces kept by the `*traceidratio` samplers', default: '1' }),
  CORS_ORIGINS: origins.default([])
    .describe('comma-separated browser origins (`scheme://host[:port]`) allowed for CORS and WebSocket handshakes (see [Browser clients](browser-clients.md))'),
  ALLOWED_HOSTS: hostNames
    .default([])
    .describe(
      'comma-separated host names the gateway answers for (the Host header, any port; `*.example.com` for subdomains); localhost, IP addresses and the host of `PUBLIC_URL` always are, other hosts get 421 (DNS rebinding guard, see [the Host allow-list](security-and-operations.md#dns-rebinding-the-host-allow-list)). `*`: any host',
    ),
  URL_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional()
    .meta({ description: 'HMAC key of image and export URLs (at least 32 characters, e.g. `openssl rand -hex 32`); replicas on one database share the generated one', default: 'generated once, kept in the database' }),
  IMAGE_URL_TTL_SECONDS: int(60, 7 * 24 * 3600).default(3600).describe('lifetime of signed image, thumbnail and export URLs (60 s to 7 days); a link signed to live longer is refused'),
  PUBLIC_URL: z.url('must be an absolute http(s) URL, e.g. https://gateway.example.com').optional()
    .meta({ description: 'base of minted URLs (e.g. `https://gateway.example.com`); set it behind a proxy or CDN', default: 'the admitted host the request named (relative with `ALLOWED_HOSTS=*`)' }),
  EXPLORER: bool.optional()
    .meta({ description: 'GraphiQL at `GET /graphql` for browsers, and introspection (HTTP and graphql-ws)', default: '`true`, except with `NODE_ENV=production`' }),
  RETENTION_DAYS: days.default(null)
    .meta({ description: 'images (with all their results) stored longer ago are deleted by an hourly sweep; a number of days or `off` (see [Deletion and retention](analytics.md#deletion-and-retention))', default: '`off`' }),
  JOB_RETENTION_DAYS: days.default(30).describe('jobs that ended longer ago are deleted; a number of days or `off`'),
  METRICS_TENANT_LABELS: bool.default(false).describe('the usage metrics also carry a `tenant` label (see [Metrics](analytics.md#metrics))'),
  METRICS_MAX_TENANT_LABELS: int(1, 10_000).default(50).describe('tenants labelled by name in the usage metrics; later ones share `other`'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)').optional()
    .describe("set: originals and thumbnails in this S3-compatible bucket, shared by every replica, instead of `DATA_DIR/blobs` (see [Blobs across replicas](scale-out-and-deployment.md#blobs-across-replicas-s3_bucket)); credentials from the AWS SDK's standard chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance or pod roles)"),
  S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://minio:9000' }).optional()
    .meta({ description: 'another S3-compatible server (MinIO, Cloudflare R2, Ceph, …)', default: 'AWS' }),
  S3_FORCE_PATH_STYLE: bool.default(false).describe('the bucket in the URL path (`http://host/bucket/key`), as most S3-compatible servers want'),
  S3_PREFIX: z.string().regex(/^[\w!.*'()/-]*$/, "must use only letters, digits and !_.*'()/- (a key prefix such as gateway/)").optional()
    .describe('starts every object key (e.g. `gateway/`), so one bucket can hold several deployments'),
  AWS_REGION: z.string().min(1).default('us-east-1').describe("the bucket's region (S3-compatible servers mostly ignore it; AWS is followed to the bucket's own)"),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://, e.g. redis://127.0.0.1:6379').optional()
    .describe('`redis://` or `rediss://`: jobs on BullMQ, job events over Redis pub/sub, rate limits and token budgets, single flight and cache invalidation, shared by every replica (see [Scale-out](scale-out-and-deployment.md#scale-out))'),
  REDIS_PREFIX: z.string().regex(/^[\w.-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores').default('qwen-vl-gateway')
    .describe('starts every Redis key and channel; replicas of one deployment share it, separate deployments on one Redis do not'),
  JOB_LEASE_MS: int(1000).default(30_000)
    .describe("with Redis: a running job's lease; a replica that stops renewing it (killed, cut off) loses the job to another within about two leases"),
});

/** The configuration: the environment validated, then shaped by `toConfig`, whose return type it is (written once). */
const configSchema = envSchema
  .superRefine((env, ctx) => {
    if (env.QWEN_GLOBAL_MAX_CONCURRENCY !== undefined && env.REDIS_URL === undefined) {
      ctx.addIssue({ code: 'custom', path: ['QWEN_GLOBAL_MAX_CONCURRENCY'], message: 'needs REDIS_URL (the replicas share the cap through Redis)' });
    }
    if (env.CACHE_SIMILAR_PROMPTS && env.QWEN_EMBEDDING_MODEL === undefined) {
      ctx.addIssue({ code: 'custom', path: ['QWEN_EMBEDDING_MODEL'], message: 'is needed by CACHE_SIMILAR_PROMPTS=true: name an embedding model on the endpoint, e.g. text-embedding-v4' });
    }
  })
  .transform((env) => toConfig(env));
export type Config = z.infer<typeof configSchema>;

/** How traces are exported, when they are (the SDK reads the endpoint and sampler from the environment itself). */
export type TracingSettings = NonNullable<Config['tracing']>;

export class ConfigError extends Error {}

/** Validates the environment once; every problem is listed, one line per variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `invalid configuration: ${issue.path.join('.')} ${issue.message}`,
    );
    throw new ConfigError(lines.join('\n'));
  }
  return parsed.data;
}

/** The validated variables shaped for the code; its return type is the `Config` every caller names. */
function toConfig(env: z.infer<typeof envSchema>) {
  const dataDir = path.resolve(env.DATA_DIR);
  const apiKey = env.QWEN_API_KEY ?? env.DASHSCOPE_API_KEY;
  const baseUrl = env.QWEN_BASE_URL.replace(/\/+$/, '');
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    dataDir,
    blobDir: path.join(dataDir, 'blobs'),
    tmpDir: path.join(dataDir, 'tmp'),
    databaseUrl: env.DATABASE_URL ?? `file:${path.join(dataDir, 'gateway.db')}`,
    model: {
      baseUrl,
      /** undefined when no key is set; local servers (vLLM, Ollama) need none. */
      apiKey,
      /** false when neither a key nor a non-default endpoint is configured. */
      configured: apiKey !== undefined || baseUrl !== DEFAULT_QWEN_BASE_URL,
      name: env.QWEN_MODEL,
      timeoutMs: env.QWEN_TIMEOUT_MS,
      maxRetries: env.QWEN_MAX_RETRIES,
      maxConcurrency: env.QWEN_MAX_CONCURRENCY,
      /** With REDIS_URL: upstream requests in flight across all replicas (QWEN_MAX_CONCURRENCY stays the cap of each); null: none. */
      globalMaxConcurrency: env.QWEN_GLOBAL_MAX_CONCURRENCY ?? null,
      maxPixels: env.QWEN_MAX_PIXELS,
      maxPromptsPerCall: env.QWEN_MAX_PROMPTS_PER_CALL,
      /** Ask the endpoint to keep images at up to 16,384 tokens (`vl_high_resolution_images`). */
      highResolutionImages: env.QWEN_HIGH_RESOLUTION_IMAGES,
      /** The model's output cap when set; null: its family's (model-family.ts). */
      maxOutputTokens: env.QWEN_MAX_OUTPUT_TOKENS ?? null,
      /** How long an endpoint that reported exhausted quota is not called. */
      quotaBackoffSeconds: env.QWEN_QUOTA_BACKOFF_SECONDS,
      /** QWEN_THINKING_BUDGET: reasoning tokens per request (thinking on for hybrid models); null: hybrid models do not think. */
      thinkingBudget: env.QWEN_THINKING_BUDGET ?? null,
      /** A model per kind of work (answer-kind.ts) other than QWEN_MODEL: QWEN_OCR_MODEL reads text (TEXT). */
      modelsByKind: (env.QWEN_OCR_MODEL ? { TEXT: env.QWEN_OCR_MODEL } : {}) as Readonly<Record<string, string>>,
    },
    limits: {
      uploadBytes: env.MAX_UPLOAD_BYTES,
      uploadFiles: env.MAX_UPLOAD_FILES,
      imagePixels: env.MAX_IMAGE_PIXELS,
      questionLength: env.MAX_QUESTION_LENGTH,
      /** Images in one multi-image question or conversation. */
      imagesPerQuestion: env.MAX_IMAGES_PER_QUESTION,
    },
    vision: {
      /** Operator policy text appended to the moderation instruction (part of its cache key). */
      moderationPolicy: env.MODERATION_POLICY?.trim() ?? '',
      /** How the model writes boxes: absolute pixels of the image sent (Qwen2.5-VL) or 0..1000 (Qwen3-VL); auto: by model name. */
      boxFormat: env.QWEN_BOX_FORMAT,
    },
    conversations: {
      /** Context sent with a conversation turn: the images, the first turn and the newest turns that fit (docs/conversations-and-streaming.md). */
      maxContextTokens: env.CONVERSATION_MAX_CONTEXT_TOKENS,
    },
    answerCacheSize: env.ANSWER_CACHE_SIZE,
    /** Image.nearDuplicates (modules/near-duplicates). */
    nearDuplicates: { distance: env.NEAR_DUPLICATE_DISTANCE },
    /** CACHE_SIMILAR_IMAGES, CACHE_SIMILAR_PROMPTS: answers reused across near-duplicate images and similar questions (answers/similar-answers.ts). */
    similarAnswers: {
      images: env.CACHE_SIMILAR_IMAGES,
      prompts: env.CACHE_SIMILAR_PROMPTS && env.QWEN_EMBEDDING_MODEL ? { embeddingModel: env.QWEN_EMBEDDING_MODEL, threshold: env.SIMILAR_PROMPT_THRESHOLD } : null,
    },
    /** MODEL_REFUSAL_TTL_SECONDS: how long a content-filter refusal of a caption or question is remembered. */
    modelRefusalTtlSeconds: env.MODEL_REFUSAL_TTL_SECONDS,
    /** MODEL_PRICES: prices per model over the built-in table (modules/analytics/model-prices.ts). */
    modelPrices: env.MODEL_PRICES ?? {},
    /** Whose stored answers a request may be served from: its own tenant's (tenant) or any tenant's with the same bytes (global). */
    cacheScope: env.CACHE_SCOPE,
    /** Time limit of one analytics list query (PostgreSQL statement_timeout). */
    analyticsQueryTimeoutMs: env.ANALYTICS_QUERY_TIMEOUT_MS,
    jobs: {
      /** Jobs run at once per process. */
      concurrency: env.JOB_CONCURRENCY,
      maxItems: env.JOB_MAX_ITEMS,
      /** Extra attempts for items whose upstream failure is transient. */
      itemRetries: env.JOB_ITEM_RETRIES,
      retryDelayMs: env.JOB_RETRY_DELAY_MS,
      /** Jobs QUEUED or RUNNING at once per tenant. */
      maxActivePerTenant: env.JOB_MAX_ACTIVE_PER_TENANT,
      /** Unfinished items across a tenant's active jobs. */
      maxQueuedItemsPerTenant: env.JOB_MAX_QUEUED_ITEMS_PER_TENANT,
      /** Every newly stored image is moderated in the background, as a job of its tenant's (MODERATE_UPLOADS). */
      moderateUploads: env.MODERATE_UPLOADS,
      /** With Redis: a running job's lease; a replica that stops renewing it (killed) loses the job to another within about this long. */
      leaseMs: env.JOB_LEASE_MS,
    },
    /**
     * REDIS_URL set: jobs on BullMQ, job events over Redis pub/sub (docs/scale-out-and-deployment.md); null: all in this process.
     * Every replica sharing one Redis and database must use the same prefix (tests give each run its own).
     */
    redis: env.REDIS_URL ? { url: env.REDIS_URL, prefix: env.REDIS_PREFIX } : null,
    /** How long SIGTERM waits for in-flight upstream calls. */
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    resilience: {
      /** Overall deadline for one model request, retries and fallbacks included. */
      deadlineMs: env.QWEN_DEADLINE_MS,
      /** Endpoints (or models) tried in order when the primary is unavailable; unset fields inherit the primary's. */
      fallbacks: [
        // QWEN_FALLBACK_MODELS first: other models on the primary endpoint, then QWEN_FALLBACKS.
        ...env.QWEN_FALLBACK_MODELS.map((model) => ({ baseUrl, model, apiKey })),
        ...env.QWEN_FALLBACKS.map((f) => ({ baseUrl: (f.baseUrl ?? baseUrl).replace(/\/+$/, ''), model: f.model ?? env.QWEN_MODEL, apiKey: f.apiKey ?? apiKey })),
      ],
      /** Percentage of failed calls (over a rolling window) that opens the circuit. */
      circuitFailureThreshold: env.CIRCUIT_FAILURE_THRESHOLD,
      circuitMinRequests: env.CIRCUIT_MIN_REQUESTS,
      circuitResetMs: env.CIRCUIT_RESET_MS,
    },
    auth: {
      /** true: keys always required; false: requests without a key served as the open tenant; unset: the stored access mode (closed from the first key on, until `keys open`). */
      required: env.AUTH_REQUIRED,
      /** How long a key lookup, and the access mode, are trusted from memory: what the CLI does elsewhere takes effect within it. 0: ask every time. */
      cacheSeconds: env.KEY_CACHE_SECONDS,
      requestsPerMinute: env.RATE_LIMIT_PER_MINUTE,
      tokensPerDay: env.TOKEN_BUDGET_PER_DAY,
      /** Completion tokens reserved per answer, with the prompt's estimate, before an upstream call; settled to the billed usage after. */
      tokenReservePerAnswer: env.TOKEN_RESERVE_PER_ANSWER,
    },
    query: {
      maxDepth: env.QUERY_MAX_DEPTH,
      maxAliases: env.QUERY_MAX_ALIASES,
      maxCost: env.QUERY_MAX_COST,
      maxPrompts: env.QUERY_MAX_PROMPTS,
      maxVariablesBytes: env.QUERY_MAX_VARIABLES_BYTES,
      /** GraphQL tokens in one document, counted before parsing. */
      maxTokens: env.QUERY_MAX_TOKENS,
      maxDirectives: env.QUERY_MAX_DIRECTIVES,
      /** Variable definitions in one operation. */
      maxVariables: env.QUERY_MAX_VARIABLES,
    },
    webSocket: {
      maxSubscriptions: env.WS_MAX_SUBSCRIPTIONS,
      connectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
      /** A socket is closed (4000, reconnect) after this long, whatever it does. */
      maxLifetimeSeconds: env.WS_MAX_LIFETIME_SECONDS,
      /** ...and after this long with no operation running. */
      idleTimeoutSeconds: env.WS_IDLE_TIMEOUT_SECONDS,
      maxConnections: env.WS_MAX_CONNECTIONS,
      maxConnectionsPerKey: env.WS_MAX_CONNECTIONS_PER_KEY,
      /** A socket whose unsent data passes this is dropped: its client stopped reading. */
      maxBufferedBytes: env.WS_MAX_BUFFERED_BYTES,
    },
    imports: {
      /** Hosts (host or host:port) exempt from the private-address block, for operators. */
      allowedHosts: env.IMPORT_ALLOWED_HOSTS.map((h) => h.toLowerCase()),
      timeoutMs: env.IMPORT_TIMEOUT_MS,
      maxRedirects: env.IMPORT_MAX_REDIRECTS,
    },
    /** Job webhooks (AnalysisInput.webhookUrl); secret null: webhookUrl is refused. */
    webhooks: {
      /** WEBHOOK_SECRET, `whsec_…`: never logged. */
      secret: env.WEBHOOK_SECRET ?? null,
      /** Hosts (host or host:port) exempt from the private-address block, for operators. */
      allowedHosts: env.WEBHOOK_ALLOWED_HOSTS.map((h) => h.toLowerCase()),
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      /** Waits before retry 1, 2, …; the delivery is given up after the last. */
      retryDelaysMs: env.WEBHOOK_RETRY_SCHEDULE,
      pollMs: env.WEBHOOK_POLL_MS,
    },
    persistedDocuments: {
      /** PERSISTED_DOCUMENTS: sha256 (hex) → document; the console's own manifest is added by the server. */
      manifest: env.PERSISTED_DOCUMENTS ?? {},
      /** PERSISTED_DOCUMENTS_ONLY: documents sent as text are refused. */
      only: env.PERSISTED_DOCUMENTS_ONLY,
    },
    /** Debug flag: log prompts (never image bytes, never keys). */
    logPrompts: env.LOG_PROMPTS,
    /** OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT set: OpenTelemetry traces (platform/tracing); null: off, no SDK loaded. */
    tracing: env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL, serviceName: env.OTEL_SERVICE_NAME } : null,
    browser: {
      /** Origins allowed for CORS and for WebSocket handshakes that carry an Origin. */
      corsOrigins: env.CORS_ORIGINS,
      /** HMAC key of image URLs; undefined: generated once and kept in the database. */
      urlSigningSecret: env.URL_SIGNING_SECRET,
      imageUrlTtlSeconds: env.IMAGE_URL_TTL_SECONDS,
      /** Makes minted URLs absolute on this base; undefined: the request's own (admitted) host. */
      publicUrl: env.PUBLIC_URL?.replace(/\/+$/, ''),
      /** Host names admitted besides localhost, IP addresses and PUBLIC_URL's host (ALLOWED_HOSTS); 'any': no Host check. */
      allowedHosts: env.ALLOWED_HOSTS.includes('*') ? ('any' as const) : env.ALLOWED_HOSTS,
    },
    metrics: {
      /** The usage counters carry a `tenant` label (METRICS_TENANT_LABELS), for the first maxTenantLabels tenants; later ones share `other`. */
      tenantLabels: env.METRICS_TENANT_LABELS,
      maxTenantLabels: env.METRICS_MAX_TENANT_LABELS,
    },
    /** Periodic deletion (docs/analytics.md, "Deletion and retention"); null: kept for ever. */
    retention: {
      /** Images and results stored longer ago than this many days are deleted. */
      days: env.RETENTION_DAYS,
      /** Jobs that ended longer ago than this many days are deleted. */
      jobDays: env.JOB_RETENTION_DAYS,
      /** How often a gateway looks for tenants erased by another process (`tenants delete`), to drop them from its memory caches. */
      erasureCheckMs: env.TENANT_ERASURE_CHECK_MS,
    },
    /**
     * S3_BUCKET set: blobs and thumbnails in this S3-compatible bucket (docs/scale-out-and-deployment.md); null: files under DATA_DIR/blobs.
     * Credentials come from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles).
     */
    s3: env.S3_BUCKET
      ? {
          bucket: env.S3_BUCKET,
          /** MinIO, Cloudflare R2, Ceph...; undefined: AWS. */
          endpoint: env.S3_ENDPOINT,
          /** The bucket in the path (http://host/bucket/key), as MinIO and most self-hosted servers want. */
          forcePathStyle: env.S3_FORCE_PATH_STYLE,
          /** Prepended to every object key, so one bucket can serve several gateways; ends with "/" when set. */
          prefix: env.S3_PREFIX ? env.S3_PREFIX.replace(/\/*$/, '/') : '',
          /** AWS_REGION; S3-compatible servers mostly ignore it, and AWS is followed to the bucket's own. */
          region: env.AWS_REGION,
        }
      : null,
    /** GraphiQL at GET /graphql for browsers, and introspection on every transport. Default: off in production only. */
    explorer: env.EXPLORER ?? env.NODE_ENV !== 'production',
  };
}

// The few variables read by code that runs before a Config exists or without
// one (the logger that reports a bad Config, the database tooling); read here
// all the same, so this file stays the one reader of the environment.

const earlyEnvSchema = z.object({
  LOG_LEVEL: z.string().default('info').describe('pino level of the JSON logs on stdout (`debug`, `info`, `warn`, `error`, …)'),
});

/** LOG_LEVEL, a pino level. */
export const logLevel = (source: NodeJS.ProcessEnv = process.env): string => earlyEnvSchema.shape.LOG_LEVEL.parse(source.LOG_LEVEL);

/**
 * Every setting of the gateway with its schema, in the order the docs list
 * them: the source of docs/configuration.md's table and .env.example
 * (`npm run docs`), which read each one's description and default from it.
 */
export const SETTINGS: Readonly<Record<string, z.ZodType>> = { ...envSchema.shape, ...earlyEnvSchema.shape };

/**
 * The user of a postgres:// URL that names none, as libpq (psql) picks it:
 * PGUSER, then USER, then the OS account. pg alone stops at USER, which
 * service managers and containers often leave unset.
 */
export const defaultDatabaseUser = (source: NodeJS.ProcessEnv = process.env): string => source.PGUSER || source.USER || os.userInfo().username;

/** SHADOW_DATABASE_URL: the PostgreSQL server migration diffs create their scratch schema on. */
export const shadowDatabaseUrl = (source: NodeJS.ProcessEnv = process.env): string | undefined => source.SHADOW_DATABASE_URL;
