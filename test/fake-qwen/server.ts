import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describeImage, expectedImagesAnswer } from './image.js';
import { embeddingsBody } from './embeddings.js';
import { readChatRequest, type ChatRequest } from './request.js';
import { instanceForPrompt, responseFormatOf, structuredInstance } from './structured.js';
import type { FakeQwen, FakeQwenOptions, Fault, RecordedEmbeddingRequest, RecordedImage, RecordedRequest } from './types.js';
import {
  BILLING_ERRORS,
  billingErrorBody,
  chunkBodies,
  completionBody,
  defaultErrorBody,
  errorBody,
  inputErrorBody,
  inspectionBody,
  maxTokensRangeBody,
  modelsBody,
  newId,
  streamOnlyBody,
  usageFor,
  withinMaxTokens,
} from './wire.js';

const DEFAULT_MODEL = 'qwen-vl-max';

/** Reasoning tokens a thinking model spends when no `thinking_budget` bounds it. */
const DEFAULT_REASONING_TOKENS = 2500;

/**
 * Whether the model behind the fake reasons before it answers, as Model
 * Studio's models do: QVQ and the Qwen3-VL `-thinking` editions always
 * (thinking-only), other Qwen3 models when asked with `enable_thinking: true`.
 */
function thinks(chat: ChatRequest): boolean {
  return /qvq|thinking/i.test(chat.model) || (/qwen3/i.test(chat.model) && chat.enableThinking === true);
}

/** The reasoning text and the tokens it bills: the whole `thinking_budget`, the worst case a budget must cover. */
function reasoningOf(chat: ChatRequest): { text: string; tokens: number } {
  return { text: 'Let me look at the image closely before I answer. ', tokens: chat.thinkingBudget ?? DEFAULT_REASONING_TOKENS };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return; // the client gave up (timeout) or close() ran
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'x-request-id': newId('req'),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The error event (or body) of a `stream-error` fault: DashScope's shape, with the chunk's id. */
function streamErrorBody(fault: Extract<Fault, { kind: 'stream-error' }>) {
  const { error } = errorBody(fault.message ?? 'An internal error has occurred, please try again later.', fault.type ?? fault.code, fault.code);
  return { error, id: newId('chatcmpl'), request_id: newId('req') };
}

export async function startFakeQwen(opts: FakeQwenOptions = {}): Promise<FakeQwen> {
  const requests: RecordedRequest[] = [];
  const embeddingRequests: RecordedEmbeddingRequest[] = [];
  /** While set, POST /v1/embeddings answers this status with DashScope's error body. */
  let embeddingStatus: number | null = null;
  let queue: Fault[] = [];
  let delayMs = 0;
  let defaultFault: Fault | null = null;
  const modelFaults = new Map<string, Fault>();
  let closed = false;
  const sockets = new Set<Socket>();
  const sleepers = new Set<() => void>();
  /** While set, streamed replies wait here after their first `after` chunks (holdStreams). */
  let streamGate: { promise: Promise<void>; open: () => void; after: number } | null = null;
  const releaseStreams = () => {
    streamGate?.open();
    streamGate = null;
  };
  /** While holding (holdReplies), replies wait here, oldest first; `passes` of them may go on (releaseReplies(n)). */
  let holding = false;
  let passes = 0;
  const held: Array<() => void> = [];
  const letThrough = () => {
    for (; passes > 0 && held.length > 0; passes--) held.shift()!();
  };
  const releaseReplies = (count?: number) => {
    if (count === undefined) {
      holding = false;
      passes = 0;
      for (const wake of held.splice(0)) wake();
      return;
    }
    passes += count;
    letThrough();
  };
  const awaitRelease = (res: ServerResponse) =>
    new Promise<void>((resolve) => {
      // A reply whose client left (before or while it waits) does not wait, and takes no pass from the replies still wanted.
      if (res.destroyed) return resolve();
      held.push(resolve);
      res.once('close', () => {
        if (held.includes(resolve)) held.splice(held.indexOf(resolve), 1);
        resolve();
      });
      letThrough();
    });

  // Resolvable early so close() does not wait out a long setDelay.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });

  const authorized = (req: IncomingMessage) =>
    opts.apiKey === undefined || req.headers.authorization === `Bearer ${opts.apiKey}`;

  /**
   * Writes a reply as server-sent events, chunk by chunk (pausing after the
   * held number while streams are held), then `data:[DONE]`; like DashScope, with
   * no space after `data:`. With `cutAfter`, the connection is reset after
   * that many chunks instead; with `failAfter`, an error event follows that
   * many chunks and ends the stream.
   */
  async function sendStream(res: ServerResponse, chunks: unknown[], end: { cutAfter?: number; failAfter?: { chunks: number; error: unknown } } = {}): Promise<void> {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': newId('req') });
    const { cutAfter, failAfter } = end;
    for (const [i, chunk] of (failAfter ? chunks.slice(0, failAfter.chunks) : chunks).entries()) {
      const text = `data:${JSON.stringify(chunk)}\n\n`;
      if (i + 1 === cutAfter) {
        res.write(text, () => res.socket?.destroy());
        return;
      }
      res.write(text);
      if (streamGate && i + 1 === streamGate.after) await streamGate.promise;
      if (res.destroyed || closed) return;
    }
    res.end(failAfter ? `data:${JSON.stringify(failAfter.error)}\n\n` : 'data:[DONE]\n\n');
  }

  function applyFault(req: IncomingMessage, res: ServerResponse, fault: Fault, chat: ChatRequest): void | Promise<void> {
    const model = chat.model || DEFAULT_MODEL;
    const usage = usageFor(chat.prompts.length, opts.usage);
    if (chat.stream && !chat.problem) {
      // The faults that shape a 200 reply shape its stream instead.
      if (fault.kind === 'content') return sendStream(res, chunkBodies(model, fault.content, usage, chat.includeUsage));
      if (fault.kind === 'empty-choices') return sendStream(res, chunkBodies(model, null, usage, chat.includeUsage, true));
      if (fault.kind === 'reset-mid-body') {
        const chunks = chunkBodies(model, 'this answer is cut off', usage, chat.includeUsage);
        return sendStream(res, chunks, { cutAfter: Math.floor(chunks.length / 2) });
      }
      if (fault.kind === 'stream-error') {
        const chunks = chunkBodies(model, 'this answer breaks off', usage, chat.includeUsage);
        return sendStream(res, chunks, { failAfter: { chunks: fault.afterChunks ?? 1, error: streamErrorBody(fault) } });
      }
    }
    switch (fault.kind) {
      case 'status':
        return send(res, fault.status, fault.body ?? defaultErrorBody(fault.status),
          fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter });
      case 'hang':
        return; // the socket stays open until the client aborts or close() destroys it
      case 'reset':
        req.socket.destroy();
        return;
      case 'reset-mid-body': {
        const text = JSON.stringify(completionBody(model, 'this answer is cut off', usage));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.write(text.slice(0, Math.floor(text.length / 2)), () => req.socket.destroy());
        return;
      }
      case 'garbage':
        return send(res, 200, '<html><body>502 Bad Gateway</body></html>{"choices":');
      case 'content':
        return send(res, 200, completionBody(model, fault.content, usage));
      case 'empty-choices':
        return send(res, 200, completionBody(model, null, usage, true));
      case 'billing':
        return send(res, BILLING_ERRORS[fault.code].status, billingErrorBody(fault.code));
      case 'input-error':
        return send(res, 400, inputErrorBody(fault.error));
      case 'inspection':
        return send(res, 400, inspectionBody(fault.side));
      case 'stream-error':
        return send(res, 500, streamErrorBody(fault));
    }
  }

  async function chatCompletion(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJson(await readBody(req));
    const chat = readChatRequest(body);
    const record: RecordedRequest = {
      model: chat.model,
      authorization: req.headers.authorization,
      traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
      body,
      image: null,
      images: [],
      messages: chat.messages,
      prompts: chat.prompts,
      packed: chat.packed,
      responseFormat: responseFormatOf(body)?.type ?? null,
      stream: chat.stream,
      finished: false,
      abandoned: false,
    };
    res.once('finish', () => (record.finished = true));
    res.once('close', () => {
      if (!res.writableFinished) record.abandoned = true;
    });
    // Record and take the fault synchronously, so both follow arrival order.
    requests.push(record);
    const fault = queue.shift() ?? modelFaults.get(chat.model) ?? defaultFault;
    // The delay runs from arrival, while the image is decoded, as a real model's latency includes
    // reading the image: the reply time is the delay, not the delay plus this process's own decode
    // (20 ms or more of sharp on 2 cores, and the noise in B2's figure when it was added on top).
    const delayed = delayMs > 0 && fault?.kind !== 'hang' ? sleep(delayMs) : undefined;

    let undecodable = false;
    try {
      const seen: RecordedImage[] = [];
      for (const image of chat.images) if (image) seen.push(await describeImage(image.bytes, image.mime));
      record.images = seen;
      record.image = seen[0] ?? null;
    } catch {
      undecodable = true;
    }
    await delayed;
    if (holding && fault?.kind !== 'hang') await awaitRelease(res);
    if (closed) return;

    if (fault) return applyFault(req, res, fault, chat);
    if (!authorized(req)) return send(res, 401, defaultErrorBody(401));
    if (chat.problem) return send(res, 400, errorBody(chat.problem, 'invalid_request_error', 'invalid_parameter_error'));
    if (undecodable || record.images.length === 0) {
      return send(res, 400, errorBody('The image could not be decoded.', 'invalid_request_error', 'invalid_image'));
    }
    if (opts.maxOutputTokens !== undefined && chat.maxTokens !== null && chat.maxTokens > opts.maxOutputTokens) {
      return send(res, 400, maxTokensRangeBody(opts.maxOutputTokens));
    }
    const thinking = thinks(chat);
    if (thinking && !chat.stream) return send(res, 400, streamOnlyBody(chat.model));
    const format = responseFormatOf(body);
    if (format?.type === 'json_schema' && opts.rejectJsonSchema) {
      return send(res, 400, errorBody("'response_format' of type 'json_schema' is not supported by this model.", 'invalid_request_error', 'invalid_parameter_error'));
    }
    const seen = record.images[0]!;
    // A prompt that spells out a JSON schema (packed, or json_object mode) gets an instance of it, as an object.
    const viewer = { model: chat.model, highResolution: chat.highResolution };
    const answers = chat.prompts.map((p) => instanceForPrompt(p, seen, viewer) ?? expectedImagesAnswer(record.images, p));
    const asked = format?.type === 'json_schema' ? structuredInstance(format.name, format.schema, seen, viewer) : null;
    const structured = asked ?? (typeof answers[0] === 'string' ? null : answers[0]);
    const whole = chat.packed
      ? JSON.stringify({ answers })
      : structured !== null
        ? opts.jsonInProse ? `Here is the analysis of the image you sent.\n\n\`\`\`json\n${JSON.stringify(structured, null, 2)}\n\`\`\`\n\nLet me know if you need anything else.` : JSON.stringify(structured)
        : (answers[0] as string);
    const usage = usageFor(chat.prompts.length, opts.usage);
    const reply = withinMaxTokens(whole, (opts.replyTokens ?? 0) * Math.max(1, chat.prompts.length), opts.replyTokens === undefined ? null : chat.maxTokens);
    if (opts.replyTokens !== undefined) usage.completion = reply.completionTokens;
    if (!thinking) {
      if (chat.stream) return sendStream(res, chunkBodies(chat.model, reply.content, usage, chat.includeUsage, false, null, reply.finishReason));
      return send(res, 200, completionBody(chat.model, reply.content, usage, false, reply.finishReason));
    }
    const reasoning = reasoningOf(chat);
    const billed = { ...usage, completion: usage.completion + reasoning.tokens, reasoning: reasoning.tokens };
    return sendStream(res, chunkBodies(chat.model, reply.content, billed, chat.includeUsage, false, reasoning.text, reply.finishReason));
  }

  /** `input` a string or a list of them, as the OpenAI SDK sends it; 400 otherwise, as DashScope answers a malformed body. */
  async function embeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJson(await readBody(req)) as { model?: unknown; input?: unknown };
    if (!authorized(req)) return send(res, 401, defaultErrorBody(401));
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (typeof body.model !== 'string' || !Array.isArray(input) || input.length === 0 || input.some((text) => typeof text !== 'string')) {
      return send(res, 400, errorBody('input must be a string or a list of strings.', 'invalid_request_error', 'InvalidParameter'));
    }
    embeddingRequests.push({ model: body.model, input: input as string[] });
    if (embeddingStatus !== null) return send(res, embeddingStatus, defaultErrorBody(embeddingStatus));
    send(res, 200, embeddingsBody(body.model, input as string[]));
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      res.once('close', () => inFlight--);
      return chatCompletion(req, res);
    }
    if (req.method === 'POST' && path === '/v1/embeddings') return embeddings(req, res);
    if (req.method === 'GET' && path === '/v1/models') {
      return authorized(req) ? send(res, 200, modelsBody(opts.model ?? DEFAULT_MODEL)) : send(res, 401, defaultErrorBody(401));
    }
    req.resume();
    send(res, 404, errorBody(`Unknown route ${req.method} ${path}.`, 'invalid_request_error', 'not_found'));
  }

  // Chat requests being answered right now, and the most seen at once (to check the gateway's bound).
  let inFlight = 0;
  const stats = { maxInFlight: 0 };

  const server = createServer((req, res) => {
    // A client that aborts mid-upload makes these emit; without listeners that would crash the test run.
    req.on('error', () => {});
    res.on('error', () => {});
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else send(res, 500, errorBody(`Fake Qwen failed: ${String(err)}`, 'internal_error', 'internal_error'));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    embeddingRequests,
    stats,
    reset() {
      requests.length = 0; // keep the same array: callers may hold a reference to fake.requests
      embeddingRequests.length = 0;
      queue = [];
      stats.maxInFlight = inFlight;
    },
    inject(...faults) {
      queue.push(...faults);
    },
    setDelay(ms) {
      delayMs = ms;
    },
    setDefaultFault(f) {
      defaultFault = f;
    },
    failEmbeddings(status) {
      embeddingStatus = status;
    },
    setModelFault(model, f) {
      if (f) modelFaults.set(model, f);
      else modelFaults.delete(model);
    },
    requestsFor(model) {
      return requests.filter((request) => request.model === model);
    },
    holdStreams(chunks = 1) {
      if (streamGate) return;
      let open = () => {};
      const promise = new Promise<void>((resolve) => (open = resolve));
      streamGate = { promise, open, after: chunks };
    },
    releaseStreams,
    holdReplies() {
      holding = true;
    },
    releaseReplies,
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      releaseStreams();
      releaseReplies();
      for (const wake of [...sleepers]) wake();
      // Hanging and keep-alive sockets would otherwise keep server.close() waiting forever.
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
