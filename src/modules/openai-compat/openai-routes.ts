import { randomUUID } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import type { Services } from '../../app-types.js';
import { GatewayError } from '../../platform/errors.js';
import { DOCUMENT_BYTES } from '../../platform/graphql/operation-size.js';
import { BrowserOrigins } from '../../platform/http/browser-origins.js';
import { responseGone } from '../../platform/http/client-gone.js';
import type { Logger } from '../../platform/logger.js';
import { authenticate, callerOf } from '../access/authenticate.js';
import { isGatewayKey } from '../access/api-key.service.js';
import { ChatCompletionService, type CompletionChunk } from './chat-completion.service.js';
import { ChatImages } from './chat-images.js';
import { readChatRequest, type ChatAsk } from './chat-request.js';
import { ChunkWriter, completionBody, type Reply } from './completion-wire.js';
import { describeError, openAiErrorHandler, sendError } from './openai-errors.js';
import { ServedModels } from './served-models.js';

/**
 * OpenAI's wire format on the gateway's port: POST /v1/chat/completions and
 * GET /v1/models (docs/openai-compatible.md). The rules of /graphql hold:
 * `Authorization: Bearer <gateway key>` and its per-minute limit before the
 * body is read, browser origins outside CORS_ORIGINS refused (the Host check
 * and CORS run for every route), a body limit, token budgets reserved before
 * any upstream call; every error in OpenAI's shape. `x-gateway-cache: hit`
 * says the reply came from a stored answer with no upstream call of its own.
 */

export const CACHE_HEADER = 'x-gateway-cache';

export function openAiRoutes(services: Services, logger: Logger): Router {
  const { config } = services;
  const models = new ServedModels(config.model, config.resilience.fallbacks);
  const chat = new ChatCompletionService(services, new ChatImages(services.images, config.limits.uploadBytes), { questionLength: config.limits.questionLength });
  const origins = new BrowserOrigins(config.browser.corsOrigins, config.browser.publicUrl);
  // Room for every image as a base64 data URL besides the text.
  const bodyLimit = DOCUMENT_BYTES + Math.ceil((config.limits.uploadBytes * 4) / 3) * config.limits.imagesPerQuestion;

  const router = Router();
  router.use('/v1', (req, res, next) => {
    if (origins.admits(req)) return next();
    sendError(res, BrowserOrigins.refusal(req.headers.origin), logger);
  });
  // The SDK always sends a key. On an open gateway (no key exists yet) one that is not a gateway key (a DashScope
  // `sk-…` key left in the code, a placeholder) is taken as no key, so existing code works with only base_url changed.
  router.use('/v1', async (req, _res, next) => {
    if (req.headers.authorization && !isGatewayKey(req.headers.authorization) && !(await services.keys.keysRequired())) delete req.headers.authorization;
    next();
  });
  router.use('/v1', authenticate(services, (_req, res, error) => sendError(res, error, logger)));

  router.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: models.names.map(modelEntry) });
  });
  router.get('/v1/models/:model', (req, res) => {
    models.check(String(req.params.model));
    res.json(modelEntry(String(req.params.model)));
  });

  router.post('/v1/chat/completions', express.json({ limit: bodyLimit }), async (req, res) => {
    const ask = readChatRequest(req.body);
    models.check(ask.model);
    const reply: Reply = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000) };
    const signal = responseGone(res)();
    if (!ask.stream) {
      const completion = await chat.complete(callerOf(res), ask, signal);
      res.setHeader(CACHE_HEADER, completion.cached ? 'hit' : 'miss');
      res.json(completionBody(reply, completion));
      return;
    }
    await streamReply(res, reply, ask, await chat.stream(callerOf(res), ask, signal), logger);
  });

  router.use('/v1', (req: Request, res: Response) => {
    sendError(res, new GatewayError('NOT_FOUND', `Nothing here: ${req.method} ${req.originalUrl.split('?')[0]}. This gateway serves POST /v1/chat/completions and GET /v1/models.`), logger);
  });
  router.use('/v1', openAiErrorHandler(logger));
  return router;
}

const modelEntry = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'qwen-vl-gateway' });

/**
 * The reply as server-sent events. The first piece is awaited before any
 * header goes out, so a refusal or a failure before the reply began is an
 * ordinary error response, and `x-gateway-cache` can say whether it is a
 * stored answer (which arrives as one piece).
 */
async function streamReply(res: Response, reply: Reply, ask: ChatAsk, chunks: AsyncIterable<CompletionChunk>, logger: Logger): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', [CACHE_HEADER]: first.value?.completion?.cached ? 'hit' : 'miss' });
  res.flushHeaders();
  const writer = new ChunkWriter(res, reply, ask.model);
  try {
    for (let next = first; !next.done; next = await iterator.next()) {
      if (next.value.delta !== '') writer.delta(next.value.delta);
      if (next.value.completion) writer.finish(next.value.completion, ask.includeUsage);
    }
  } catch (error) {
    writer.fail(describeError(error, logger).body);
  } finally {
    if (!res.writableEnded) res.end();
  }
}
