import type { AnswerRecord } from '../answers/result.service.js';
import type { PriceTable } from '../analytics/model-prices.js';
import type { UsageRow } from '../analytics/usage.service.js';
import type { ModerationVerdict } from '../vision/kinds/moderation/moderation.format.js';
import type { ExportRow } from './export-writers.js';
import type { ResultExportKind } from './export-query.js';
import { CAPTION_COLUMNS, MODERATION_COLUMNS, QUESTION_COLUMNS, USAGE_COUNTS } from './export-columns.js';

/** How a stored row fills the columns of its export (export-columns.ts): first the fields shared by every kind; its cost (at read time, like Usage.cost) in the last two columns. */
function resultRow(row: AnswerRecord, prices: PriceTable): ExportRow {
  const cost = prices.cost(row.model, row);
  return {
    cost: cost?.amount ?? null,
    costCurrency: cost?.currency ?? null,
    id: row.id,
    imageId: row.imageId,
    model: row.model,
    ...Object.fromEntries(USAGE_COUNTS.map((name) => [name, row[name]])),
    latencyMs: row.latencyMs,
    createdAt: row.createdAt,
  };
}

interface ResultTable {
  /** The stored kind of answer the export reads. */
  answerKind: 'QUESTION' | 'CAPTION' | 'MODERATION';
  columns: readonly string[];
  row: (row: AnswerRecord, prices: PriceTable) => ExportRow;
}

export const RESULT_TABLES: Record<ResultExportKind, ResultTable> = {
  questions: {
    answerKind: 'QUESTION',
    columns: QUESTION_COLUMNS,
    row: (row, prices) => ({ ...resultRow(row, prices), prompt: row.prompt, answer: row.text }),
  },
  captions: {
    answerKind: 'CAPTION',
    columns: CAPTION_COLUMNS,
    row: (row, prices) => ({ ...resultRow(row, prices), style: row.style, text: row.text }),
  },
  moderations: {
    answerKind: 'MODERATION',
    columns: MODERATION_COLUMNS,
    row: (row, prices) => {
      const verdict = JSON.parse(row.text) as ModerationVerdict;
      return { ...resultRow(row, prices), flagged: verdict.flagged, categories: verdict.categories, rationale: verdict.rationale };
    },
  },
};

export const usageRow = ({ cost, costSaved, ...row }: UsageRow): ExportRow => ({
  ...row,
  cost: cost?.amount ?? null,
  costCurrency: cost?.currency ?? null,
  costSaved: costSaved?.amount ?? null,
  costSavedCurrency: costSaved?.currency ?? null,
});
