import { Field, ObjectType } from 'type-graphql';
import { ResultFields } from '../answers/answer-fields.type.js';
import { Image } from '../images/image.type.js';
import { toFinishReasonEnum } from '../answers/finish-reason.enum.js';
import type { ImagesAnswerRecord } from './images-answer.service.js';

@ObjectType({ description: 'The answer to one question about several images, asked of the model in one request.' })
export class ImagesAnswer extends ResultFields {
  @Field(() => [Image], { description: 'In the order they were asked about (and sent).' })
  images!: Image[];

  @Field(() => String, { description: 'The question as asked, normalized (NFC, trimmed, whitespace collapsed).' })
  prompt!: string;

  @Field(() => String)
  answer!: string;
}

export function toImagesAnswer(row: ImagesAnswerRecord, cached = true): ImagesAnswer {
  const { id, images, prompt, text, model, latencyMs, createdAt, promptTokens, completionTokens, totalTokens, cachedTokens } = row;
  return { id, images, prompt, answer: text, model, cached, finishReason: toFinishReasonEnum(row.finishReason), latencyMs, createdAt, usage: { promptTokens, completionTokens, totalTokens, cachedTokens, model } };
}
