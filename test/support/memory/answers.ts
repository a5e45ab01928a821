import { answerKey, type AnswerKey, type AnswerRecord, type AnswerStore, type AnswerWithSha, type NewAnswer } from '../../../src/modules/answers/answer.repository.js';
import type { MemoryImages } from './images.js';

/** Stored answers in a Map keyed like the table's unique index (imageId, prompt, model). */
export class MemoryAnswers implements AnswerStore {
  readonly rows = new Map<string, AnswerRecord>();
  private made = 0;

  constructor(private readonly images: MemoryImages) {}

  async findByKeys(keys: readonly AnswerKey[], tenant: string | null): Promise<AnswerWithSha[]> {
    const wanted = new Set(keys.map((k) => answerKey(k.sha256, k.prompt, k.model)));
    return [...this.rows.values()].flatMap((row) => {
      const image = this.images.rows.get(row.imageId)!;
      if (tenant !== null && image.tenant !== tenant) return [];
      return wanted.has(answerKey(image.sha256, row.prompt, row.model)) ? [{ ...row, image: { sha256: image.sha256 } }] : [];
    });
  }

  async save(answer: NewAnswer): Promise<AnswerRecord> {
    const existing = this.rows.get(uniqueKey(answer));
    const row: AnswerRecord = { flagged: null, categories: null, ...answer, embedding: answer.embedding ?? null, embeddingModel: answer.embeddingModel ?? null, id: existing?.id ?? `ans-${++this.made}`, createdAt: new Date() };
    this.rows.set(uniqueKey(answer), row);
    return row;
  }

  async adopt(answer: NewAnswer): Promise<AnswerRecord> {
    return this.rows.get(uniqueKey(answer)) ?? this.save(answer);
  }
}

const uniqueKey = (answer: Pick<NewAnswer, 'imageId' | 'prompt' | 'model'>) => JSON.stringify([answer.imageId, answer.prompt, answer.model]);
