import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** The DashScope (Alibaba Cloud Model Studio) international endpoint, the contract's default. */
export const DEFAULT_QWEN_BASE_URL = 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1';

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

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  PORT: int(0, 65535).default(4000),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, 'must start with file: (SQLite) or postgres:// (PostgreSQL)')
    .optional(),
  QWEN_BASE_URL: z.url('must be an http(s) URL').default(DEFAULT_QWEN_BASE_URL),
  QWEN_API_KEY: z.string().optional(),
  DASHSCOPE_API_KEY: z.string().optional(),
  QWEN_MODEL: z.string().min(1).default('qwen-vl-max'),
  QWEN_TIMEOUT_MS: int(100).default(60_000),
  QWEN_MAX_RETRIES: int(0, 10).default(2),
  QWEN_MAX_CONCURRENCY: int(1, 1024).default(8),
  QWEN_GLOBAL_MAX_CONCURRENCY: int(1, 100_000).optional(),
  QWEN_MAX_PIXELS: int(10 * 10).default(1_003_520),
  QWEN_MAX_PROMPTS_PER_CALL: int(1, 64).default(8),
  QWEN_HIGH_RESOLUTION_IMAGES: bool
    .default(false)
    .describe('Send `vl_high_resolution_images: true`: the endpoint keeps up to 16,384 image tokens instead of its default limit (docs/models.md); images cost more tokens, and boxes and estimates follow the larger frame. On a self-hosted server, true matches the checkpoint\'s own default limit.'),
  QWEN_MAX_OUTPUT_TOKENS: int(1)
    .optional()
    .describe('The largest max_tokens the model accepts; default: its family\'s cap from docs/models.md (none for unknown models). Packed calls are split so that prompts × TOKEN_RESERVE_PER_ANSWER stays within it.'),
  QWEN_QUOTA_BACKOFF_SECONDS: int(1, 86_400)
    .default(300)
    .describe('After the endpoint reports the account out of quota or credit (MODEL_QUOTA_EXHAUSTED), requests to it fail fast for this long without being sent; job items wait it out.'),
  MAX_UPLOAD_BYTES: int(1).default(20 * 1024 * 1024),
  MAX_UPLOAD_FILES: int(1, 1000).default(20),
  MAX_IMAGE_PIXELS: int(100).default(40_000_000),
  MAX_QUESTION_LENGTH: int(1).default(2000),
  MAX_IMAGES_PER_QUESTION: int(1, 64).default(8),
  MODERATION_POLICY: z.string().max(4000).optional(),
  MODERATE_UPLOADS: bool.default(false),
  QWEN_BOX_FORMAT: z.enum(['auto', 'absolute', 'relative1000'], { error: 'must be auto, absolute or relative1000' }).default('auto'),
  CONVERSATION_MAX_CONTEXT_TOKENS: int(100).default(24_000),
  ANSWER_CACHE_SIZE: int(0).default(10_000),
  CACHE_SCOPE: z.enum(['tenant', 'global'], { error: 'must be tenant or global' }).default('tenant'),
  ANALYTICS_QUERY_TIMEOUT_MS: int(1).default(5_000),
  JOB_CONCURRENCY: int(1, 64).default(2),
  JOB_MAX_ITEMS: int(1).default(1000),
  JOB_ITEM_RETRIES: int(0, 10).default(3),
  JOB_RETRY_DELAY_MS: int(0).default(1000),
  SHUTDOWN_GRACE_MS: int(0).default(10_000),
  QWEN_DEADLINE_MS: int(100).default(120_000),
  QWEN_FALLBACKS: fallbacks.default([]),
  CIRCUIT_FAILURE_THRESHOLD: int(1, 100).default(50),
  CIRCUIT_MIN_REQUESTS: int(1).default(5),
  CIRCUIT_RESET_MS: int(100).default(30_000),
  AUTH_REQUIRED: bool.default(false),
  KEY_CACHE_SECONDS: int(0, 3600).default(5),
  RATE_LIMIT_PER_MINUTE: int(1).default(600),
  TOKEN_BUDGET_PER_DAY: int(1).default(2_000_000),
  TOKEN_RESERVE_PER_ANSWER: int(1).default(512),
  QUERY_MAX_DEPTH: int(1, 100).default(10),
  QUERY_MAX_ALIASES: int(0, 1000).default(30),
  QUERY_MAX_COST: int(1).default(5000),
  QUERY_MAX_PROMPTS: int(1, 1000).default(50),
  QUERY_MAX_VARIABLES_BYTES: int(1).default(256 * 1024),
  QUERY_MAX_TOKENS: int(100).default(10_000),
  QUERY_MAX_DIRECTIVES: int(0, 10_000).default(50),
  QUERY_MAX_VARIABLES: int(0, 10_000).default(100),
  WS_MAX_SUBSCRIPTIONS: int(1, 1000).default(20),
  WS_CONNECTION_INIT_TIMEOUT_MS: int(100).default(5_000),
  WS_MAX_LIFETIME_SECONDS: int(1).default(3600),
  WS_IDLE_TIMEOUT_SECONDS: int(1).default(600),
  WS_MAX_CONNECTIONS: int(1).default(2000),
  WS_MAX_CONNECTIONS_PER_KEY: int(1).default(50),
  WS_MAX_BUFFERED_BYTES: int(64 * 1024).default(8 * 1024 * 1024),
  JOB_MAX_ACTIVE_PER_TENANT: int(1).default(20),
  JOB_MAX_QUEUED_ITEMS_PER_TENANT: int(1).default(20_000),
  IMPORT_ALLOWED_HOSTS: list.default([]),
  IMPORT_TIMEOUT_MS: int(100).default(15_000),
  IMPORT_MAX_REDIRECTS: int(0, 10).default(3),
  LOG_PROMPTS: bool.default(false),
  CORS_ORIGINS: origins.default([]),
  URL_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
  IMAGE_URL_TTL_SECONDS: int(60, 7 * 24 * 3600).default(3600),
  PUBLIC_URL: z.url('must be an absolute http(s) URL, e.g. https://gateway.example.com').optional(),
  EXPLORER: bool.optional(),
  RETENTION_DAYS: days.default(null),
  JOB_RETENTION_DAYS: days.default(30),
  METRICS_TENANT_LABELS: bool.default(false),
  METRICS_MAX_TENANT_LABELS: int(1, 10_000).default(50),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)').optional(),
  S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://minio:9000' }).optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_PREFIX: z.string().regex(/^[\w!.*'()/-]*$/, "must use only letters, digits and !_.*'()/- (a key prefix such as gateway/)").optional(),
  AWS_REGION: z.string().min(1).optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://, e.g. redis://127.0.0.1:6379').optional(),
  REDIS_PREFIX: z.string().regex(/^[\w.-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores').default('qwen-vl-gateway'),
  JOB_LEASE_MS: int(1000).default(30_000),
});

/** The configuration: the environment validated, then shaped by `toConfig`, whose return type it is (written once). */
const configSchema = envSchema
  .superRefine((env, ctx) => {
    if (env.QWEN_GLOBAL_MAX_CONCURRENCY !== undefined && env.REDIS_URL === undefined) {
      ctx.addIssue({ code: 'custom', path: ['QWEN_GLOBAL_MAX_CONCURRENCY'], message: 'needs REDIS_URL (the replicas share the cap through Redis)' });
    }
  })
  .transform((env) => toConfig(env));
export type Config = z.infer<typeof configSchema>;

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
      /** Context sent with a conversation turn: the images, the first turn and the newest turns that fit (README, "Conversations"). */
      maxContextTokens: env.CONVERSATION_MAX_CONTEXT_TOKENS,
    },
    answerCacheSize: env.ANSWER_CACHE_SIZE,
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
     * REDIS_URL set: jobs on BullMQ, job events over Redis pub/sub (README, "Scale-out"); null: all in this process.
     * Every replica sharing one Redis and database must use the same prefix (tests give each run its own).
     */
    redis: env.REDIS_URL ? { url: env.REDIS_URL, prefix: env.REDIS_PREFIX } : null,
    /** How long SIGTERM waits for in-flight upstream calls. */
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    resilience: {
      /** Overall deadline for one model request, retries and fallbacks included. */
      deadlineMs: env.QWEN_DEADLINE_MS,
      /** Endpoints (or models) tried in order when the primary is unavailable; unset fields inherit the primary's. */
      fallbacks: env.QWEN_FALLBACKS.map((f) => ({ baseUrl: (f.baseUrl ?? baseUrl).replace(/\/+$/, ''), model: f.model ?? env.QWEN_MODEL, apiKey: f.apiKey ?? apiKey })),
      /** Percentage of failed calls (over a rolling window) that opens the circuit. */
      circuitFailureThreshold: env.CIRCUIT_FAILURE_THRESHOLD,
      circuitMinRequests: env.CIRCUIT_MIN_REQUESTS,
      circuitResetMs: env.CIRCUIT_RESET_MS,
    },
    auth: {
      /** Require API keys even before the first key exists. */
      required: env.AUTH_REQUIRED,
      /** How long a key lookup, and "no key exists yet", are trusted from memory: what the CLI does elsewhere takes effect within it. 0: ask every time. */
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
    /** Debug flag: log prompts (never image bytes, never keys). */
    logPrompts: env.LOG_PROMPTS,
    browser: {
      /** Origins allowed for CORS and for WebSocket handshakes that carry an Origin. */
      corsOrigins: env.CORS_ORIGINS,
      /** HMAC key of image URLs; undefined: generated once and kept in the database. */
      urlSigningSecret: env.URL_SIGNING_SECRET,
      imageUrlTtlSeconds: env.IMAGE_URL_TTL_SECONDS,
      /** Makes minted URLs absolute on this base; undefined: the request's own host. */
      publicUrl: env.PUBLIC_URL?.replace(/\/+$/, ''),
    },
    metrics: {
      /** The usage counters carry a `tenant` label (METRICS_TENANT_LABELS), for the first maxTenantLabels tenants; later ones share `other`. */
      tenantLabels: env.METRICS_TENANT_LABELS,
      maxTenantLabels: env.METRICS_MAX_TENANT_LABELS,
    },
    /** Periodic deletion (README, "Deletion and retention"); null: kept for ever. */
    retention: {
      /** Images and results stored longer ago than this many days are deleted. */
      days: env.RETENTION_DAYS,
      /** Jobs that ended longer ago than this many days are deleted. */
      jobDays: env.JOB_RETENTION_DAYS,
    },
    /**
     * S3_BUCKET set: blobs and thumbnails in this S3-compatible bucket (README, "Scale-out"); null: files under DATA_DIR/blobs.
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
          region: env.AWS_REGION ?? 'us-east-1',
        }
      : null,
    /** GraphiQL at GET /graphql for browsers, and introspection on every transport. Default: off in production only. */
    explorer: env.EXPLORER ?? env.NODE_ENV !== 'production',
  };
}

// The few variables read by code that runs before a Config exists or without
// one (the logger that reports a bad Config, the database tooling); read here
// all the same, so this file stays the one reader of the environment.

/** LOG_LEVEL, a pino level. */
export const logLevel = (source: NodeJS.ProcessEnv = process.env): string => source.LOG_LEVEL ?? 'info';

/**
 * The user of a postgres:// URL that names none, as libpq (psql) picks it:
 * PGUSER, then USER, then the OS account. pg alone stops at USER, which
 * service managers and containers often leave unset.
 */
export const defaultDatabaseUser = (source: NodeJS.ProcessEnv = process.env): string => source.PGUSER || source.USER || os.userInfo().username;

/** SHADOW_DATABASE_URL: the PostgreSQL server migration diffs create their scratch schema on. */
export const shadowDatabaseUrl = (source: NodeJS.ProcessEnv = process.env): string | undefined => source.SHADOW_DATABASE_URL;
