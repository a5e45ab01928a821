import { GatewayError } from '../../platform/errors.js';
import type { AnswerFilter, AnswerKind, AnswerRecord, AnswerRepository } from './answer.repository.js';
import type { Page, PageArgs } from '../../platform/database/pagination.js';
import { StatementTimeout } from '../../platform/database/sql-dialect.js';
import { groupsByKeys } from '../../platform/collections.js';

/** The records this service hands out, for its callers (resolvers, loaders) to name without reaching the repository. */
export type { AnswerKind, AnswerRecord } from './answer.repository.js';

/** Reads of stored captions and answers, for the analytics lists and image pages. */
export class ResultService {
  constructor(
    private readonly answers: AnswerRepository,
    private readonly queryTimeoutMs: number,
  ) {}

  /** One page; a list the database cannot produce within ANALYTICS_QUERY_TIMEOUT_MS is refused, not waited for. */
  async page(tenant: string, kind: AnswerKind, filter: AnswerFilter, args: PageArgs): Promise<Page<AnswerRecord>> {
    try {
      return await this.answers.page(tenant, kind, filter, args);
    } catch (error) {
      if (!(error instanceof StatementTimeout)) throw error;
      throw new GatewayError(
        'QUERY_TOO_COMPLEX',
        `Listing stored results took longer than ${this.queryTimeoutMs} ms (ANALYTICS_QUERY_TIMEOUT_MS). Narrow the filter (imageId, model, createdAfter/createdBefore) or ask for fewer rows.`,
        { cause: error, extensions: { limit: 'ANALYTICS_QUERY_TIMEOUT_MS', maximum: this.queryTimeoutMs } },
      );
    }
  }

  /** Stored results of many images at once, grouped per image in the order asked. */
  async listForImages(imageIds: readonly string[], kind: AnswerKind): Promise<AnswerRecord[][]> {
    return groupsByKeys(imageIds, await this.answers.listForImages(imageIds, kind), (row) => row.imageId);
  }
}
