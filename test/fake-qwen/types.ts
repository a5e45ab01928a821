/** Public types of the fake Qwen VL endpoint (OpenAI Chat Completions wire format). */
import type { BillingCode, InputError } from './wire.js';

/** What the fake saw in the request's data URL, decoded with sharp. */
export interface RecordedImage {
  /** The MIME type declared in the data URL (not sniffed). */
  mime: string;
  /** Width and height as displayed, i.e. after the EXIF Orientation is applied, as a viewer (or model) sees it. */
  width: number;
  height: number;
  /** Size of the decoded (base64-decoded) image file in bytes. */
  bytes: number;
  /** Hex sha256 of the decoded image file bytes. */
  sha256: string;
  /** Mean sRGB colour of the pixels as `#rrggbb` (alpha ignored). */
  meanColor: string;
}

/** One message of the request: its role, its text parts joined, and how many images it carried. */
export interface RecordedMessage {
  role: string;
  text: string;
  images: number;
}

export interface RecordedRequest {
  model: string;
  authorization: string | undefined;
  /** The W3C trace context header, when the gateway traces (OTEL_EXPORTER_OTLP_ENDPOINT). */
  traceparent: string | undefined;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** The first image (`images[0]`), or null when there is none or it could not be decoded. */
  image: RecordedImage | null;
  /** Every image of every message, in order (filled in once decoded; all or nothing). */
  images: RecordedImage[];
  /** Every message in order, system and earlier turns included. */
  messages: RecordedMessage[];
  /** The last user message's text: 1 prompt, or the n questions of a packed request; [] when it had none. */
  prompts: string[];
  packed: boolean;
  /** `response_format.type` of the request (json_schema, json_object), null when none was set. */
  responseFormat: string | null;
  /** Asked with `stream: true`: the reply goes out as `chat.completion.chunk` server-sent events. */
  stream: boolean;
  /** The whole reply has been written (for a stream: through `data: [DONE]`). */
  finished: boolean;
  /** The client closed the connection before the whole reply was sent (it aborted or timed out). */
  abandoned: boolean;
}

/** One POST /v1/embeddings received. */
export interface RecordedEmbeddingRequest {
  model: string;
  input: string[];
}

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; body?: unknown }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'reset-mid-body' }
  | { kind: 'garbage' }
  | { kind: 'content'; content: string | null }
  | { kind: 'empty-choices' }
  /** Model Studio's billing refusal with its real status (400 Arrearage, 403 AllocationQuota.FreeTierOnly, 429 insufficient_quota or PrepaidBillOverdue). */
  | { kind: 'billing'; code: BillingCode }
  /** DashScope's 400 about the input itself (too long, an image too small): not about `response_format`. */
  | { kind: 'input-error'; error: InputError }
  /** DashScope's content inspection (400 data_inspection_failed) refusing the input or the model's output. */
  | { kind: 'inspection'; side: 'input' | 'output' }
  /**
   * A streamed reply that breaks off with an `{"error": …}` event after
   * `afterChunks` content chunks (default 1), as DashScope ends a stream that
   * fails once begun; a reply asked without streaming gets the error as a 500.
   */
  | { kind: 'stream-error'; code: string; message?: string; type?: string; afterChunks?: number };

export interface FakeQwenOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get a 401. */
  apiKey?: string;
  /** Token counts reported in `usage`; defaults depend on the number of prompts. */
  usage?: { prompt: number; completion: number; cached?: number };
  /** Answer 400 to `response_format: {type: "json_schema"}`, as endpoints without structured output do. */
  rejectJsonSchema?: boolean;
  /**
   * The tokens each answer takes: a request whose max_tokens is below this ×
   * its prompts gets the share of its reply that fits, with finish_reason
   * "length" (as DashScope cuts a reply at max_tokens). Unset: replies always fit.
   */
  replyTokens?: number;
  /**
   * The model ignores `response_format` (DashScope documents json_schema for
   * its text models, not the VL ones): a structured reply comes in prose,
   * its JSON in a ```json fence.
   */
  jsonInProse?: boolean;
  /** Model id listed by GET /v1/models (chat replies echo the requested model). */
  model?: string;
  /** The model's output cap: a request whose max_tokens is above it gets DashScope's 400 "Range of max_tokens should be [1, N]". */
  maxOutputTokens?: number;
}

export interface FakeQwen {
  /** Base URL for QWEN_BASE_URL / `new OpenAI({ baseURL })`, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  /** Every POST /v1/chat/completions received, in order, faulted ones included. */
  requests: RecordedRequest[];
  /** Every POST /v1/embeddings answered, in order (not in `requests`). */
  embeddingRequests: RecordedEmbeddingRequest[];
  /** The most chat requests in flight at once since start or the last reset(). */
  stats: { maxInFlight: number };
  /** Clear recorded requests and queued faults (not the delay or default fault). */
  reset(): void;
  /** Queue faults; each applies to the next request (FIFO), then normal service resumes. */
  inject(...faults: Fault[]): void;
  /** Every request is answered no sooner than this long after it arrived (the image's decode runs meanwhile). */
  setDelay(ms: number): void;
  /** Fault applied to every request while set (queued faults take precedence). */
  setDefaultFault(f: Fault | null): void;
  /** POST /v1/embeddings answers this HTTP status (with DashScope's error body) while set; null: answers again. */
  failEmbeddings(status: number | null): void;
  /** Fault applied to every request for this model while set (before the default fault; queued faults take precedence); null clears it. */
  setModelFault(model: string, f: Fault | null): void;
  /** The requests for one model so far (routing and fallback, observed at the endpoint). */
  requestsFor(model: string): RecordedRequest[];
  /**
   * Streamed replies pause after their first `chunks` content chunks (1 by
   * default) until `releaseStreams()`: a test sees those deltas arrive while
   * the endpoint has not finished (its request is not `finished`).
   */
  holdStreams(chunks?: number): void;
  /** Lets every paused stream go on, and later ones run straight through. */
  releaseStreams(): void;
  /**
   * Every reply (but `hang`) waits, once its request is recorded, until
   * released: a test keeps calls in flight for as long as it needs, instead
   * of racing a `setDelay`.
   */
  holdReplies(): void;
  /**
   * With a count: lets that many held replies go on, oldest first (or the
   * next ones to arrive), and keeps holding the rest. Without: sends every
   * held reply and stops holding.
   */
  releaseReplies(count?: number): void;
  close(): Promise<void>;
}
