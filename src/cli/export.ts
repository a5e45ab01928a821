// `npm run export -- <questions|captions|moderations|usage> [--since DATE] [--until DATE] [--filter NAME=VALUE]... [--out FILE]`
// The command-line face of GET /export/<kind>.<format>: asks a running gateway
// (--url, GATEWAY_API_KEY) and writes the body as it arrives, so a file of
// millions of rows never sits in memory. Exit 0 done, 1 refused or cut short, 2 usage.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Command, InvalidArgumentError, Option } from 'commander';
import { EXPORT_FORMATS, EXPORT_KINDS, type ExportFormat, type ExportKind } from '../modules/exports/export-query.js';

const DEFAULT_URL = 'http://localhost:4000';

interface ExportOptions {
  since?: string;
  until?: string;
  filter: Array<[string, string]>;
  format?: ExportFormat;
  out?: string;
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
  const base = options.url.replace(/\/graphql\/?$/, '').replace(/\/$/, '');
  const url = new URL(`${base}/export/${kind}.${format}`);
  const [since, until] = kind === 'usage' ? ['from', 'to'] : ['createdAfter', 'createdBefore'];
  if (options.since) url.searchParams.set(since, options.since);
  if (options.until) url.searchParams.set(until, options.until);
  for (const [name, value] of options.filter) url.searchParams.set(name, value);
  return url;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('npm run export --')
    .description('Exports stored results or usage from a running gateway (GET /export/<kind>.<format>), streamed to a file or stdout.')
    .argument('<kind>', EXPORT_KINDS.join(' | '))
    .addOption(new Option('--since <date>', 'only rows at or after this ISO 8601 date or time (usage: from)'))
    .addOption(new Option('--until <date>', 'only rows before this ISO 8601 date or time (usage: to)'))
    .addOption(new Option('--filter <name=value>', 'any other filter of the list, e.g. model=qwen-vl-max, textContains=cat (repeatable)').argParser(parseFilter).default([]))
    .addOption(new Option('--format <format>', 'csv or jsonl (default: from --out, else jsonl)').choices(EXPORT_FORMATS))
    .addOption(new Option('--out <file>', 'write here instead of stdout'))
    .addOption(new Option('--url <url>', 'the gateway').default(DEFAULT_URL))
    .addOption(new Option('--api-key <key>', 'sent as "Authorization: Bearer <key>"').env('GATEWAY_API_KEY'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  let kind: ExportKind;
  let options: ExportOptions;
  let url: URL;
  let format: ExportFormat;
  try {
    program.parse(argv, { from: 'user' });
    options = program.opts<ExportOptions>();
    const named = EXPORT_KINDS.find((k) => k === program.args[0]);
    if (!named) throw new InvalidArgumentError(`unknown kind "${program.args[0]}": use ${EXPORT_KINDS.join(', ')}.`);
    kind = named;
    format = formatOf(options);
    url = exportUrl(kind, format, options);
  } catch (error) {
    if (error instanceof InvalidArgumentError) process.stderr.write(`error: ${error.message}\n`);
    const code = (error as { exitCode?: number; code?: string }).code;
    return code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2;
  }

  const response = await fetch(url, { headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {} }).catch((error: unknown) => {
    process.stderr.write(`cannot reach the gateway at ${url.origin}: ${error instanceof Error ? error.message : String(error)}\n`);
    return null;
  });
  if (!response) return 2;
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => null)) as { errors?: Array<{ message: string; extensions?: { code?: string } }> } | null;
    const error = body?.errors?.[0];
    process.stderr.write(`export refused (${response.status}${error?.extensions?.code ? ` ${error.extensions.code}` : ''}): ${error?.message ?? response.statusText}\n`);
    return 1;
  }
  const target: Writable = options.out ? createWriteStream(options.out) : process.stdout;
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), target);
  } catch (error) {
    process.stderr.write(`export cut short: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  if (options.out) process.stderr.write(`wrote ${options.out}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
