/**
 * 7. Export memory: `rows` stored questions of one tenant (generated straight
 * into a scratch SQLite file), then GET /export/questions.csv and .jsonl read
 * to the end by a client that keeps nothing. The gateway runs in this process,
 * so the process's heap and RSS, sampled every 20 ms during each download,
 * bound what the export holds. Issue #15: flat memory for millions of rows;
 * the tests assert the rows themselves (test/integration/lists-export.test.ts).
 *
 * Alone: `node --expose-gc --import tsx bench/scenarios/export.ts [rows]`
 * (default 100,000). With --expose-gc each sample follows a full collection,
 * so the growth is what the export holds (and `seconds` include those
 * collections); without it the peaks include garbage not yet collected.
 */
import Database from 'better-sqlite3';
import { pathToFileURL } from 'node:url';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { startGateway } from '../../test/support/gateway.js';
import { now, round } from '../lib/stats.js';

const MB = 1024 * 1024;

export interface ExportRun {
  format: 'csv' | 'jsonl';
  bytes: number;
  seconds: number;
  /** Peak heap and RSS during the download, over the same measured just before it. */
  heapGrowthMb: number;
  rssGrowthMb: number;
}

export interface ExportResult {
  rows: number;
  runs: ExportRun[];
}

async function download(url: string, key: string, format: 'csv' | 'jsonl'): Promise<ExportRun> {
  globalThis.gc?.();
  const before = process.memoryUsage();
  let peak = { heap: before.heapUsed, rss: before.rss };
  // With --expose-gc, a full collection before each sample: the heap then is what the export holds, not garbage not yet collected.
  const sampler = setInterval(() => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    peak = { heap: Math.max(peak.heap, m.heapUsed), rss: Math.max(peak.rss, m.rss) };
  }, 100);
  const started = now();
  let bytes = 0;
  try {
    const response = await fetch(`${url}/export/questions.${format}`, { headers: { authorization: `Bearer ${key}` } });
    for await (const chunk of response.body!) bytes += (chunk as Uint8Array).byteLength;
  } finally {
    clearInterval(sampler);
  }
  return {
    format,
    bytes,
    seconds: round((now() - started) / 1000),
    heapGrowthMb: round((peak.heap - before.heapUsed) / MB),
    rssGrowthMb: round((peak.rss - before.rss) / MB),
  };
}

export async function runExport(rows: number): Promise<ExportResult> {
  const gateway = await startGateway();
  try {
    const { key } = await gateway.app.services.keys.create({ tenant: 'bench' });
    const target = parseDatabaseUrl(gateway.app.config.databaseUrl);
    if (target.kind !== 'sqlite') throw new Error('expected SQLite');
    const file = new Database(target.path);
    try {
      file.prepare(`INSERT INTO "Image" (id, tenant, sha256, mimeType, width, height, byteSize) VALUES ('bench-img', 'bench', ?, 'image/png', 1, 1, 1)`).run('e'.repeat(64));
      const insert = file.prepare(
        'INSERT INTO "Answer" (id, tenant, imageId, kind, prompt, text, model, promptTokens, completionTokens, totalTokens, cachedTokens, latencyMs, createdAt) ' +
          "VALUES (?, 'bench', 'bench-img', 'QUESTION', ?, ?, 'qwen-vl-max', 900, 40, 940, 0, 800, ?)",
      );
      const start = Date.UTC(2026, 10, 1);
      file.transaction(() => {
        for (let i = 0; i < rows; i++) {
          const createdAt = new Date(start + i * 1000).toISOString().replace('Z', '+00:00');
          insert.run(`q-${String(i).padStart(8, '0')}`, `What is in picture ${i}?`, `A picture of item ${i}, with a red car parked by a tree, seen from the street.`, createdAt);
        }
      })();
    } finally {
      file.close();
    }
    const origin = gateway.server.url.replace(/\/graphql$/, '');
    return { rows, runs: [await download(origin, key, 'csv'), await download(origin, key, 'jsonl')] };
  } finally {
    await gateway.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runExport(Number(process.argv[2] ?? 100_000));
  console.log(JSON.stringify(result, null, 2));
}
