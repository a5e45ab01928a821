// `npm run export -- <questions|captions|moderations|usage> [--since DATE] [--until DATE] [--filter NAME=VALUE]... [--out FILE]`
// The command-line face of GET /export/<kind>.<format>: asks a running gateway
// (--url or GATEWAY_URL; GATEWAY_API_KEY) and writes the body as it arrives, so a file of
// millions of rows never sits in memory. Exit 0 done, 1 refused or cut short, 2 usage.
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { InvalidArgumentError } from 'commander';
import { parseExportArgs, type ExportRequest } from './export/options.js';

async function main(argv: string[]): Promise<number> {
  let request: ExportRequest;
  try {
    request = parseExportArgs(argv);
  } catch (error) {
    if (error instanceof InvalidArgumentError) process.stderr.write(`error: ${error.message}\n`);
    const code = (error as { exitCode?: number; code?: string }).code;
    return code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2;
  }
  const { url, out: outFile, apiKey } = request;

  const response = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} }).catch((error: unknown) => {
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
  const target: Writable = outFile ? createWriteStream(outFile) : process.stdout;
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), target);
  } catch (error) {
    process.stderr.write(`export cut short: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  if (outFile) process.stderr.write(`wrote ${outFile}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
