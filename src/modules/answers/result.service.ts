import { GatewayError } from '../../platform/errors.js';
import type { AnswerFilter, AnswerKind, AnswerRecord, AnswerRepository } from './answer.repository.js';
import type { Page, PageArgs } from '../../platform/database/pagination.js';
import { StatementTimeout } from '../../platform/database/sql-dialect.js';
import { groupsByKeys } from '../../platform/collections.js';

/** The records this service hands out, for its callers (resolvers, loaders) to name without reaching the repository. */
export type { AnswerFilter, AnswerKind, AnswerRecord } from './answer.repository.js';

/** Reads of stored captions and answers, for the analytics lists and image pages. */
export class ResultService {
  constructor(
    private readonly answers: AnswerRepository,
    private readonly queryTimeoutMs: number,
  ) {}

  /**
   * One page (and its totalCount); a list or count the database cannot
   * produce within ANALYTICS_QUERY_TIMEOUT_MS is refused, not waited for.
   */
  async page(tenant: string, kind: AnswerKind, filter: AnswerFilter, args: PageArgs): Promise<Page<AnswerRecord>> {
    const page = await this.withinLimit(() => this.answers.page(tenant, kind, filter, args));
    return { ...page, totalCount: () => this.withinLimit(page.totalCount) };
  }

  /** Every stored result the filter matches, newest first, a batch at a time (exports). */
  async *scan(tenant: string, kind: AnswerKind, filter: AnswerFilter, batchSize: number): AsyncGenerator<AnswerRecord[]> {
    const batches = this.answers.scan(tenant, kind, filter, batchSize);
    for (;;) {
      const next = await this.withinLimit(() => batches.next());
      if (next.done) return;
      yield next.value;
    }
  }

  private async withinLimit<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
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
