import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { EXPORT_FORMATS, EXPORT_KINDS, type ExportFormat, type ExportKind } from '../../modules/exports/export-query.js';
import { gatewayUrlOption } from '../gateway-url.js';

/** What `npm run export` was asked for: the export route to fetch and where to write it. */
export interface ExportRequest {
  url: URL;
  out?: string;
  apiKey?: string;
}

interface ExportOptions {
  since?: string;
  until?: string;
  filter: Array<[string, string]>;
  format?: ExportFormat;
  out?: string;
  /** The gateway's root. */
  url: string;
  apiKey?: string;
}

function parseFilter(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected NAME=VALUE, e.g. model=qwen-vl-max.');
  return [...previous, [value.slice(0, at), value.slice(at + 1)]];
}

/** The format: --format, else the --out file's extension, else JSON Lines. */
function formatOf(options: ExportOptions): ExportFormat {
  if (options.format) return options.format;
  const ext = options.out ? path.extname(options.out).slice(1).toLowerCase() : 'jsonl';
  const format = EXPORT_FORMATS.find((f) => f === (ext === 'ndjson' ? 'jsonl' : ext));
  if (!format) throw new InvalidArgumentError(`--out ${options.out}: end the name in .csv or .jsonl, or give --format.`);
  return format;
}

/** `--since`/`--until` are createdAfter/createdBefore of the results lists, from/to of usage. */
function exportUrl(kind: ExportKind, format: ExportFormat, options: ExportOptions): URL {
  const url = new URL(`${options.url}/export/${kind}.${format}`);
  const [since, until] = kind === 'usage' ? ['from', 'to'] : ['createdAfter', 'createdBefore'];
  if (options.since) url.searchParams.set(since, options.since);
  if (options.until) url.searchParams.set(until, options.until);
  for (const [name, value] of options.filter) url.searchParams.set(name, value);
  return url;
}

/** Parses argv (without node and the script); throws InvalidArgumentError or commander's own errors (help included). */
export function parseExportArgs(argv: readonly string[]): ExportRequest {
  const program = new Command()
    .name('npm run export --')
    .description('Exports stored results or usage from a running gateway (GET /export/<kind>.<format>), streamed to a file or stdout.')
    .argument('<kind>', EXPORT_KINDS.join(' | '))
    .addOption(new Option('--since <date>', 'only rows at or after this ISO 8601 date or time (usage: from)'))
    .addOption(new Option('--until <date>', 'only rows before this ISO 8601 date or time (usage: to)'))
    .addOption(new Option('--filter <name=value>', 'any other filter of the list, e.g. model=qwen-vl-max, textContains=cat (repeatable)').argParser(parseFilter).default([]))
    .addOption(new Option('--format <format>', 'csv or jsonl (default: from --out, else jsonl)').choices(EXPORT_FORMATS))
    .addOption(new Option('--out <file>', 'write here instead of stdout'))
    .addOption(gatewayUrlOption())
    .addOption(new Option('--api-key <key>', 'sent as "Authorization: Bearer <key>"').env('GATEWAY_API_KEY'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.parse([...argv], { from: 'user' });
  const options = program.opts<ExportOptions>();
  const kind = EXPORT_KINDS.find((k) => k === program.args[0]);
  if (!kind) throw new InvalidArgumentError(`unknown kind "${program.args[0]}": use ${EXPORT_KINDS.join(', ')}.`);
  return { url: exportUrl(kind, formatOf(options), options), out: options.out, apiKey: options.apiKey };
}
