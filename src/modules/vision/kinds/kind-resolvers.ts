import type { Context } from '../../../context.js';
import { toConnection } from '../../../platform/graphql/connection.type.js';
import type { PageArgs } from '../../../platform/database/pagination.js';
import { withMatch } from '../../answers/answer-requests.js';
import type { AnswerResult } from '../../answers/answer.service.js';
import type { CacheMatchMode } from '../../answers/cache-match.type.js';
import type { AnswerFilter, AnswerRecord } from '../../answers/result.service.js';
import type { ImageRecord } from '../../images/image.service.js';
import type { StructuredKind } from './result-kind.js';

/** What the resolvers of every kind share: its Image field is model work, its list a page of stored rows. */

export const ON_DEMAND = 'Computed on demand by the model, cached. Null, with an error at this path, when the model work fails.';

/** A kind's answer about an image, as model work of the operation's one batch: it packs with the operation's captions and questions. */
export function answerOnDemand<Args>(ctx: Context, kind: StructuredKind<Args>, image: ImageRecord, refresh: boolean | null, match: CacheMatchMode | null, args: Args): Promise<AnswerResult> {
  return ctx.loaders.modelWork.load(withMatch(ctx.services.vision.request(kind, image, refresh ?? false, args), match));
}

/** The stored results of a kind the list's filter lets through, newest first. */
export async function storedResults<T>(ctx: Context, kind: Pick<StructuredKind, 'name'>, filter: AnswerFilter | null, page: PageArgs, toType: (row: AnswerRecord) => T) {
  return toConnection(await ctx.services.results.page(ctx.caller.tenant, kind.name, filter ?? {}, page), (row) => toType(row));
}
