import type { AnswerFilter, AnswerKind, AnswerRecord, AnswerRepository } from '../storage/answer-repository.js';
import type { Page, PageArgs } from '../storage/pagination.js';
import { groupsByKeys } from './collections.js';

/** Reads of stored captions and answers, for the analytics lists and image pages. */
export class ResultService {
  constructor(private readonly answers: AnswerRepository) {}

  page(tenant: string, kind: AnswerKind, filter: AnswerFilter, args: PageArgs): Promise<Page<AnswerRecord>> {
    return this.answers.page(tenant, kind, filter, args);
  }

  /** Stored results of many images at once, grouped per image in the order asked. */
  async listForImages(imageIds: readonly string[], kind: AnswerKind): Promise<AnswerRecord[][]> {
    return groupsByKeys(imageIds, await this.answers.listForImages(imageIds, kind), (row) => row.imageId);
  }
}
