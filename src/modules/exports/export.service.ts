import { datedFilename, type Download } from '../../platform/http/download.js';
import type { Caller } from '../access/caller.js';
import type { ResultService } from '../answers/result.service.js';
import type { PriceTable } from '../analytics/model-prices.js';
import type { UsageService } from '../analytics/usage.service.js';
import { exportFilter, type ExportRequest } from './export-query.js';
import { USAGE_COLUMNS } from './export-columns.js';
import { RESULT_TABLES, usageRow } from './export-tables.js';
import { CONTENT_TYPES, writeTable, type ExportTable } from './export-writers.js';

/** Rows per database read: large enough for few round trips, small enough that one batch is a few MB at most. */
export const EXPORT_BATCH = 1000;

/**
 * The exports behind GET /export/<kind>.<format> (and `npm run export`):
 * the caller's tenant only, the same filters as the GraphQL lists, read a
 * batch at a time and written as the client takes it.
 */
export class ExportService {
  constructor(
    private readonly results: ResultService,
    private readonly usage: UsageService,
    private readonly prices: PriceTable,
    private readonly batchSize = EXPORT_BATCH,
  ) {}

  /** The download; its filter is checked when its body is first read (a coded error before any byte is sent). */
  open(caller: Caller, request: ExportRequest): Download {
    return {
      filename: datedFilename(request.kind, request.format),
      contentType: CONTENT_TYPES[request.format],
      body: this.body(caller, request),
    };
  }

  private async *body(caller: Caller, request: ExportRequest): AsyncGenerator<string> {
    yield* writeTable(await this.table(caller, request), request.format);
  }

  private async table(caller: Caller, request: ExportRequest): Promise<ExportTable> {
    const filter = exportFilter(request);
    if (filter.kind === 'usage') {
      // Buckets, not rows: a year by day and model is thousands, read at once.
      const rows = await this.usage.buckets(caller, filter.args);
      return { columns: USAGE_COLUMNS, batches: [rows.map(usageRow)] };
    }
    const table = RESULT_TABLES[filter.kind];
    const batches = this.results.scan(caller.tenant, table.answerKind, filter.filter, this.batchSize);
    return { columns: table.columns, batches: mapBatches(batches, (batch) => batch.map((row) => table.row(row, this.prices))) };
  }
}

async function* mapBatches<T, U>(batches: AsyncIterable<T>, map: (batch: T) => U): AsyncGenerator<U> {
  for await (const batch of batches) yield map(batch);
}
