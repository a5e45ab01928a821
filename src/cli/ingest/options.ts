import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { gatewayUrlOption, graphqlEndpoint } from '../gateway-url.js';

export const CAPTION_STYLES = ['BRIEF', 'DETAILED', 'ALT_TEXT'] as const;
export type CaptionStyle = (typeof CAPTION_STYLES)[number];
export type OutputFormat = 'jsonl' | 'csv';

export interface IngestOptions {
  paths: string[];
  captions: CaptionStyle[];
  questions: string[];
  /** A moderation verdict per image, as items of the job. */
  moderate: boolean;
  /** The text in each image (Image.text), read after the job. */
  readText: boolean;
  /** The gateway's GraphQL endpoint (WebSocket on the same path). */
  url: string;
  /** null: JSON Lines on stdout. */
  out: { file: string; format: OutputFormat } | null;
  apiKey: string | null;
}

/** Bad flags or arguments: the caller prints the message and exits 2. */
export class UsageError extends Error {}

/** `--help` was asked for and printed: exit 0. */
export class HelpShown extends Error {}

const collect =
  <T>(parse: (value: string) => T) =>
  (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)];

function parseStyle(value: string): CaptionStyle {
  const style = value.trim().toUpperCase().replace(/-/g, '_');
  if (!(CAPTION_STYLES as readonly string[]).includes(style)) {
    throw new InvalidArgumentError(`expected one of ${CAPTION_STYLES.join(', ')}.`);
  }
  return style as CaptionStyle;
}

function parseQuestion(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('the question is empty.');
  return value;
}

export function outputFormatOf(file: string): OutputFormat | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  return null;
}

function buildProgram(): Command {
  return new Command()
    .name('npm run ingest --')
    .description(
      'Uploads every JPEG, PNG, WebP and GIF under the given files or folders to the gateway, runs one analysis job ' +
        'for all of them (captions, questions, moderation) with a progress bar on stderr, reads the text in each ' +
        'image when asked, and writes one row per file and item.',
    )
    .argument('<paths...>', 'image files or folders (walked recursively)')
    .addOption(
      new Option('--caption <style>', 'caption style: BRIEF, DETAILED or ALT_TEXT (repeatable; default BRIEF when no --caption, --ask, --moderate or --read-text is given)').argParser(
        collect(parseStyle),
      ),
    )
    .addOption(new Option('--ask <question>', 'a question to ask about every image (repeatable)').argParser(collect(parseQuestion)))
    .addOption(new Option('--moderate', 'a moderation verdict for every image (rows of kind MODERATION: flagged, categories, the rationale as text)'))
    .addOption(new Option('--read-text', 'read the text in every image (rows of kind TEXT)'))
    .addOption(gatewayUrlOption())
    .addOption(new Option('--out <file>', 'write results to a .jsonl/.ndjson (JSON Lines) or .csv file instead of JSON Lines on stdout'))
    .addOption(new Option('--api-key <key>', 'sent as "Authorization: Bearer <key>"').env('GATEWAY_API_KEY'))
    .addHelpText(
      'after',
      '\nExit codes: 0 all succeeded; 1 some file or item failed, or the job ended FAILED/CANCELLED;\n' +
        '            2 usage error or gateway unreachable; 130 interrupted (Ctrl-C cancels the job).',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
}

/** Parses argv (without node and the script); throws UsageError or HelpShown. */
export function parseOptions(argv: readonly string[], write: { out: (s: string) => void; err: (s: string) => void }): IngestOptions {
  const program = buildProgram().configureOutput({ writeOut: write.out, writeErr: write.err });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') throw new HelpShown();
      throw new UsageError(''); // commander has already printed the message
    }
    throw error;
  }
  const opts = program.opts<{ caption?: CaptionStyle[]; ask?: string[]; moderate?: boolean; readText?: boolean; url: string; out?: string; apiKey?: string }>();
  let out: IngestOptions['out'] = null;
  if (opts.out !== undefined) {
    const format = outputFormatOf(opts.out);
    if (!format) throw new UsageError(`error: --out ${opts.out}: the file must end in .jsonl, .ndjson or .csv`);
    out = { file: opts.out, format };
  }
  const captions = [...new Set(opts.caption ?? [])];
  const questions = opts.ask ?? [];
  const moderate = opts.moderate ?? false;
  const readText = opts.readText ?? false;
  const nothingAsked = captions.length === 0 && questions.length === 0 && !moderate && !readText;
  return {
    paths: program.args,
    captions: nothingAsked ? ['BRIEF'] : captions,
    questions,
    moderate,
    readText,
    url: graphqlEndpoint(opts.url),
    out,
    apiKey: opts.apiKey?.trim() || null,
  };
}
