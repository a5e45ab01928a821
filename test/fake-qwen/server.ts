import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describeImage, expectedAnswer } from './image.js';
import { readChatRequest, type ChatRequest } from './request.js';
import type { FakeQwen, FakeQwenOptions, Fault, RecordedRequest } from './types.js';
import { completionBody, defaultErrorBody, errorBody, modelsBody, newId, usageFor } from './wire.js';

const DEFAULT_MODEL = 'qwen-vl-max';

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

export async function startFakeQwen(opts: FakeQwenOptions = {}): Promise<FakeQwen> {
  const requests: RecordedRequest[] = [];
  let queue: Fault[] = [];
  let delayMs = 0;
  let defaultFault: Fault | null = null;
  let closed = false;
  const sockets = new Set<Socket>();
  const sleepers = new Set<() => void>();

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

  function applyFault(req: IncomingMessage, res: ServerResponse, fault: Fault, chat: ChatRequest): void {
    const model = chat.model || DEFAULT_MODEL;
    const usage = usageFor(chat.prompts.length, opts.usage);
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
    }
  }

  async function chatCompletion(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJson(await readBody(req));
    const chat = readChatRequest(body);
    const record: RecordedRequest = {
      model: chat.model,
      authorization: req.headers.authorization,
      body,
      image: null,
      prompts: chat.prompts,
      packed: chat.packed,
      abandoned: false,
    };
    res.once('close', () => {
      if (!res.writableFinished) record.abandoned = true;
    });
    // Record and take the fault synchronously, so both follow arrival order.
    requests.push(record);
    const fault = queue.shift() ?? defaultFault;

    let undecodable = false;
    if (chat.image) {
      try {
        record.image = await describeImage(chat.image.bytes, chat.image.mime);
      } catch {
        undecodable = true;
      }
    }
    if (delayMs > 0 && fault?.kind !== 'hang') await sleep(delayMs);
    if (closed) return;

    if (fault) return applyFault(req, res, fault, chat);
    if (!authorized(req)) return send(res, 401, defaultErrorBody(401));
    if (chat.problem) return send(res, 400, errorBody(chat.problem, 'invalid_request_error', 'invalid_parameter_error'));
    if (undecodable || !record.image) {
      return send(res, 400, errorBody('The image could not be decoded.', 'invalid_request_error', 'invalid_image'));
    }
    const image = record.image;
    const answers = chat.prompts.map((p) => expectedAnswer(image, p));
    const content = chat.packed ? JSON.stringify({ answers }) : (answers[0] ?? '');
    send(res, 200, completionBody(chat.model, content, usageFor(chat.prompts.length, opts.usage)));
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      res.once('close', () => inFlight--);
      return chatCompletion(req, res);
    }
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
    stats,
    reset() {
      requests.length = 0; // keep the same array: callers may hold a reference to fake.requests
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
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const wake of [...sleepers]) wake();
      // Hanging and keep-alive sockets would otherwise keep server.close() waiting forever.
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
