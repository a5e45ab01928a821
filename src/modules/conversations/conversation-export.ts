import { Router } from 'express';
import { encodeCursor, type Page } from '../../platform/database/pagination.js';
import type { Logger } from '../../platform/logger.js';
import { datedFilename, sendDownload } from '../../platform/http/download.js';
import { authenticate, callerOf } from '../access/authenticate.js';
import type { ApiKeyService } from '../access/api-key.service.js';
import type { UsageLimits } from '../access/usage-limits.js';
import { toConversation } from './conversation.type.js';
import type { ConversationRecord, ConversationService } from './conversation.service.js';
import type { Usage } from '../answers/usage.type.js';
import { toMessage } from './message.type.js';

/**
 * GET /export/conversations.jsonl: the caller's conversations, newest first,
 * one JSON object per line with their images and every message (oldest
 * first), fields as in GraphQL. Authenticated and rate-limited like /graphql
 * (Authorization: Bearer; open mode as there). Read from the database a page
 * at a time and written as the client takes it, a conversation's messages
 * included, so memory stays flat however much there is.
 */

const PAGE = 100;

export interface ExportServices {
  conversations: ConversationService;
  keys: ApiKeyService;
  limits: UsageLimits;
}

export function conversationExportRoutes(services: ExportServices, logger: Logger): Router {
  const router = Router();
  router.get('/export/conversations.jsonl', authenticate(services), (req, res) =>
    sendDownload(req, res, logger, {
      filename: datedFilename('conversations', 'jsonl'),
      contentType: 'application/x-ndjson; charset=utf-8',
      body: jsonLines(services.conversations, callerOf(res).tenant),
    }),
  );
  return router;
}

async function* jsonLines(conversations: ConversationService, tenant: string): AsyncGenerator<string> {
  let page: Page<ConversationRecord> = await conversations.page(tenant, { first: PAGE });
  for (;;) {
    for (const row of page.items) yield* conversationLine(conversations, row);
    const last = page.items.at(-1);
    if (!page.hasNextPage || !last) return;
    page = await conversations.page(tenant, { first: PAGE, after: encodeCursor(last) });
  }
}

/** One line, written in pieces: the conversation, then its messages a page at a time. */
async function* conversationLine(conversations: ConversationService, row: ConversationRecord): AsyncGenerator<string> {
  const { images, ...conversation } = toConversation(row);
  const head = { ...conversation, usage: usageFields(conversation.usage), images: images.map(({ id, sha256, mimeType, width, height }) => ({ id, sha256, mimeType, width, height })) };
  yield `${JSON.stringify(head).slice(0, -1)},"messages":[`;
  let after: string | undefined;
  let separator = '';
  for (;;) {
    const page = await conversations.messages(row, { first: PAGE, after });
    for (const message of page.items) {
      const shown = toMessage(message);
      yield separator + JSON.stringify({ ...shown, usage: shown.usage && usageFields(shown.usage) });
      separator = ',';
    }
    const last = page.items.at(-1);
    if (!page.hasNextPage || !last) break;
    after = encodeCursor(last);
  }
  yield ']}\n';
}

/** Usage as GraphQL shows its token fields: the model it carries (for pricing) is not one of them. */
function usageFields({ promptTokens, completionTokens, totalTokens, cachedTokens }: Usage): Omit<Usage, 'model'> {
  return { promptTokens, completionTokens, totalTokens, cachedTokens };
}
