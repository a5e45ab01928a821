// `npm run ingest -- <files or folders...> [--caption STYLE]... [--ask "question"]... [--out results.jsonl|.csv]`
// Bulk upload + one analysis job + results as JSON Lines or CSV; see src/cli/ingest/main.ts.
import { main } from './ingest/main.js';

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`ingest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
// Open handles (sockets in keep-alive, timers) must not keep a finished run alive.
process.exit();
