import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context.js';
import { badInput } from '../../platform/errors.js';
import { CaptionFilter, QuestionFilter } from '../answers/filters.input.js';
import { ModerationFilter } from '../vision/kinds/moderation/moderation.type.js';
import { exportFilter, type ExportFormat as Format, type ExportKind as Kind, type ExportRequest } from './export-query.js';
import { ExportFormat, ExportKind, UsageExportInput } from './export-url.type.js';

type FilterValue = string | number | boolean | Date | readonly string[] | null | undefined;

/** A filter input as the route's query parameters: dates ISO 8601, lists comma-separated, nulls left out. */
function toParams(filter: Record<string, FilterValue>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(filter)) {
    if (value == null) continue;
    params[name] = value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(',') : String(value);
  }
  return params;
}

@Resolver()
export class ExportUrlResolver {
  @Query(() => String, {
    description:
      'A signed link to GET /export/<kind>.<format> with this filter, for a download button: no header needed, valid for IMAGE_URL_TTL_SECONDS. Give only the filter argument named like `kind`.',
  })
  // Parameters in reverse: type-graphql emits them last to first, and the SDL reads kind, format, then the filters.
  exportUrl(
    @Ctx() ctx: Context,
    @Arg('usage', () => UsageExportInput, { nullable: true }) usage: UsageExportInput | null,
    @Arg('moderations', () => ModerationFilter, { nullable: true }) moderations: ModerationFilter | null,
    @Arg('captions', () => CaptionFilter, { nullable: true }) captions: CaptionFilter | null,
    @Arg('questions', () => QuestionFilter, { nullable: true }) questions: QuestionFilter | null,
    @Arg('format', () => ExportFormat, { nullable: true, defaultValue: 'csv' }) format: Format | null,
    @Arg('kind', () => ExportKind) kind: Kind,
  ): string {
    const given = Object.entries({ questions, captions, moderations, usage }).filter(([, value]) => value != null);
    const other = given.find(([name]) => name !== kind);
    if (other) throw badInput(`exportUrl(kind: ${kind.toUpperCase()}) takes the "${kind}" filter, not "${other[0]}".`);
    const { filter: usageFilter, ...range } = usage ?? {};
    const filter = kind === 'usage' ? { ...range, ...usageFilter } : (given[0]?.[1] ?? {});
    const request: ExportRequest = { kind, format: format ?? 'csv', params: toParams(filter as Record<string, FilterValue>) };
    exportFilter(request); // refused now, not when the link is followed
    return ctx.services.exportLinks.mint(ctx.baseUrl, ctx.caller, request);
  }
}
