import { z } from 'zod';
import { badInput } from '../../platform/errors.js';
import type { AnswerFilter } from '../answers/result.service.js';
import { CAPTION_STYLES } from '../answers/prompts.js';
import { MODERATION_CATEGORIES } from '../vision/kinds/moderation/moderation-category.enum.js';
import { UsageDimension, type UsageArgs } from '../analytics/usage.service.js';

/**
 * What an export is: `GET /export/<kind>.<format>?<filter>`, the filter named
 * and spelled as the GraphQL list's filter fields (dates as ISO 8601, a bare
 * date meaning its UTC midnight; booleans as true/false; usage's groupBy as a
 * comma-separated list). A parameter the kind does not know is refused, not
 * ignored: a typo must not export everything.
 */

export const EXPORT_KINDS = ['questions', 'captions', 'moderations', 'usage'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

const date = z
  .string()
  .regex(ISO_DATE, 'expected an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z')
  .transform((text) => new Date(text))
  .refine((value) => Number.isFinite(value.getTime()), 'not a calendar date');
const text = z.string().min(1);
const bool = z.enum(['true', 'false']).transform((value) => value === 'true');
const list = <T extends string>(values: readonly [T, ...T[]]) => z.string().transform((raw) => raw.split(',').map((part) => part.trim())).pipe(z.array(z.enum(values)).min(1));

const resultFields = { imageId: text, model: text, createdAfter: date, createdBefore: date };

const FILTERS = {
  questions: z.strictObject({ ...resultFields, promptContains: text, textContains: text }).partial(),
  captions: z.strictObject({ ...resultFields, style: z.enum(CAPTION_STYLES), textContains: text }).partial(),
  moderations: z.strictObject({ ...resultFields, flagged: bool, category: z.enum(MODERATION_CATEGORIES) }).partial(),
  usage: z
    .strictObject({
      from: date,
      to: date,
      groupBy: list(Object.values(UsageDimension) as [UsageDimension, ...UsageDimension[]]),
      model: text,
      kind: text,
      apiKeyId: text,
      tenant: text,
    })
    .partial(),
} satisfies Record<ExportKind, z.ZodType>;

export type ResultExportKind = Exclude<ExportKind, 'usage'>;

export type ExportFilter = { kind: ResultExportKind; filter: AnswerFilter } | { kind: 'usage'; args: UsageArgs };

/** One export asked for: what, in which format, and the filter as given (its canonical text is what a link signs). */
export interface ExportRequest {
  kind: ExportKind;
  format: ExportFormat;
  params: Record<string, string>;
}

/** `questions.csv` → kind and format; null for anything else. */
export function parseExportFile(file: string): Pick<ExportRequest, 'kind' | 'format'> | null {
  const match = /^([a-z]+)\.([a-z]+)$/.exec(file);
  const kind = EXPORT_KINDS.find((k) => k === match?.[1]);
  const format = EXPORT_FORMATS.find((f) => f === match?.[2]);
  return kind && format ? { kind, format } : null;
}

/** The filter of a request, checked; BAD_USER_INPUT names the parameter and what it takes. */
export function exportFilter(request: ExportRequest): ExportFilter {
  const parsed = FILTERS[request.kind].safeParse(request.params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    const known = Object.keys(FILTERS[request.kind].shape).join(', ');
    throw badInput(`Export parameter "${name}": ${issue.message}. ${request.kind} takes ${known}.`);
  }
  if (request.kind === 'usage') {
    const { from, to, groupBy, ...filter } = parsed.data as z.infer<(typeof FILTERS)['usage']>;
    return { kind: 'usage', args: { from, to, groupBy: groupBy ?? ['DAY'], filter } };
  }
  return { kind: request.kind, filter: parsed.data as AnswerFilter };
}

/** The parameters in one order, so the same export always has the same link (and signature). */
export function canonicalParams(params: Record<string, string>): string {
  return new URLSearchParams(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))).toString();
}
