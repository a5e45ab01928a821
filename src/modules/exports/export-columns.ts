/**
 * The columns of each CSV export, in order: the fields of the GraphQL type,
 * flattened (usage's four counts as columns of their own, its cost as two).
 * Pure, with no imports: GET /export/… writes them, and the web console's
 * "Download CSV" of the rows on screen uses the same ones.
 */

export const USAGE_COUNTS = ['promptTokens', 'completionTokens', 'totalTokens', 'cachedTokens'] as const;

/** Every stored result's columns after its own ones. */
const RESULT_TAIL = ['model', ...USAGE_COUNTS, 'latencyMs', 'createdAt', 'cost', 'costCurrency'] as const;

export const QUESTION_COLUMNS = ['id', 'imageId', 'prompt', 'answer', ...RESULT_TAIL] as const;
export const CAPTION_COLUMNS = ['id', 'imageId', 'style', 'text', ...RESULT_TAIL] as const;
export const MODERATION_COLUMNS = ['id', 'imageId', 'flagged', 'categories', 'rationale', ...RESULT_TAIL] as const;
/** Read text and detections have no server export; the console's CSV of them follows the same pattern. */
export const TEXT_COLUMNS = ['id', 'imageId', 'text', 'language', ...RESULT_TAIL] as const;
export const DETECTION_COLUMNS = ['id', 'imageId', 'objects', ...RESULT_TAIL] as const;

export const USAGE_COLUMNS = ['day', 'hour', 'model', 'kind', 'apiKeyId', 'tenant', 'match', 'calls', 'results', ...USAGE_COUNTS, 'cacheHits', 'tokensSaved', 'estimatedTokens', 'cost', 'costCurrency', 'costSaved', 'costSavedCurrency'] as const;
