import type { AnswerRecord } from '../answers/result.service.js';
import type { PriceTable } from '../analytics/model-prices.js';
import type { UsageRow } from '../analytics/usage.service.js';
import type { ModerationVerdict } from '../vision/moderation.format.js';
import type { ExportRow } from './export-writers.js';
import type { ResultExportKind } from './export-query.js';

/**
 * The columns of each export and how a stored row fills them: the fields of
 * the GraphQL type, flattened (usage's four counts as columns of their own).
 */

const USAGE = ['promptTokens', 'completionTokens', 'totalTokens', 'cachedTokens'] as const;

/** The result's fields shared by every kind; its cost (at read time, like Usage.cost) in the last two columns. */
function resultRow(row: AnswerRecord, prices: PriceTable): ExportRow {
  const cost = prices.cost(row.model, row);
  return {
    cost: cost?.amount ?? null,
    costCurrency: cost?.currency ?? null,
    id: row.id,
    imageId: row.imageId,
    model: row.model,
    ...Object.fromEntries(USAGE.map((name) => [name, row[name]])),
    latencyMs: row.latencyMs,
    createdAt: row.createdAt,
  };
}

const RESULT_COLUMNS = ['id', 'imageId', 'model', ...USAGE, 'latencyMs', 'createdAt', 'cost', 'costCurrency'] as const;

interface ResultTable {
  /** The stored kind of answer the export reads. */
  answerKind: 'QUESTION' | 'CAPTION' | 'MODERATION';
  columns: readonly string[];
  row: (row: AnswerRecord, prices: PriceTable) => ExportRow;
}

export const RESULT_TABLES: Record<ResultExportKind, ResultTable> = {
  questions: {
    answerKind: 'QUESTION',
    columns: ['id', 'imageId', 'prompt', 'answer', ...RESULT_COLUMNS.slice(2)],
    row: (row, prices) => ({ ...resultRow(row, prices), prompt: row.prompt, answer: row.text }),
  },
  captions: {
    answerKind: 'CAPTION',
    columns: ['id', 'imageId', 'style', 'text', ...RESULT_COLUMNS.slice(2)],
    row: (row, prices) => ({ ...resultRow(row, prices), style: row.style, text: row.text }),
  },
  moderations: {
    answerKind: 'MODERATION',
    columns: ['id', 'imageId', 'flagged', 'categories', 'rationale', ...RESULT_COLUMNS.slice(2)],
    row: (row, prices) => {
      const verdict = JSON.parse(row.text) as ModerationVerdict;
      return { ...resultRow(row, prices), flagged: verdict.flagged, categories: verdict.categories, rationale: verdict.rationale };
    },
  },
};

export const USAGE_COLUMNS = ['day', 'hour', 'model', 'kind', 'apiKeyId', 'tenant', 'match', 'calls', 'results', ...USAGE, 'cacheHits', 'tokensSaved', 'estimatedTokens', 'cost', 'costCurrency', 'costSaved', 'costSavedCurrency'] as const;

export const usageRow = ({ cost, costSaved, ...row }: UsageRow): ExportRow => ({
  ...row,
  cost: cost?.amount ?? null,
  costCurrency: cost?.currency ?? null,
  costSaved: costSaved?.amount ?? null,
  costSavedCurrency: costSaved?.currency ?? null,
});
