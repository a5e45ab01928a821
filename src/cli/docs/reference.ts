import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { SETTINGS } from '../../platform/config.js';
import { type CodeReference, ERROR_CODES, GRAPHQL_ERROR_CODES } from '../../platform/errors.js';

/**
 * The parts of the docs written from the code, so they cannot drift from it:
 * the settings table and .env.example from the config schema, the error-code
 * tables from the error codes. `npm run docs` writes them; a test fails when
 * the committed files differ from what this renders.
 */

export interface GeneratedFile {
  /** Relative to the repository root. */
  file: string;
  content: string;
}

interface Setting {
  name: string;
  description: string;
  /** Markdown, as the table shows it. */
  shownDefault: string;
  /** The default as an environment value, '' when it has none. */
  envDefault: string;
}

function settingOf(name: string, schema: z.ZodType): Setting {
  const meta = schema.meta() ?? {};
  if (typeof meta.description !== 'string' || meta.description === '') {
    throw new Error(`${name} in src/platform/config.ts has no description: add .describe('what it does') to its schema.`);
  }
  const def = schema._zod.def as { type: string; defaultValue?: unknown };
  const value = def.type === 'default' ? def.defaultValue : undefined;
  const envDefault = typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string' ? String(value) : '';
  const shownDefault = typeof meta.default === 'string' ? meta.default : envDefault === '' ? 'none' : `\`${envDefault}\``;
  return { name, description: meta.description, shownDefault, envDefault };
}

const settings = (): Setting[] => Object.entries(SETTINGS).map(([name, schema]) => settingOf(name, schema));

const cell = (text: string) => text.replace(/\|/g, '\\|');

function table(header: string[], rows: string[][]): string {
  const lines = [header, header.map(() => '---'), ...rows].map((row) => `| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

export function settingsTable(): string {
  return table(
    ['variable', 'default', 'meaning'],
    settings().map((s) => [`\`${s.name}\``, s.shownDefault, s.description]),
  );
}

const codeRows = (codes: Record<string, CodeReference>) => Object.entries(codes).map(([code, { status, meaning }]) => [`\`${code}\``, String(status), meaning]);

export function errorTables(): string {
  return [
    table(['code', 'HTTP', 'when'], codeRows(ERROR_CODES)),
    '',
    "Raised by GraphQL itself (Apollo Server, graphql-js and the gateway's validation rules):",
    '',
    table(['code', 'HTTP', 'when'], codeRows(GRAPHQL_ERROR_CODES)),
  ].join('\n');
}

/** Markdown to plain text for a comment line: code marks and link targets dropped. */
const plain = (markdown: string) => markdown.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');

function wrap(text: string, width: number, prefix: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, prefix + line];
}

export function envExample(): string {
  const head = [
    '# Every setting of the Qwen VL gateway, with its default. Generated from src/platform/config.ts by',
    '# `npm run docs`: edit the descriptions there, not here. All are commented out, so a copy changes',
    '# nothing until you uncomment a line. Use it with `cp .env.example .env`, then',
    '# `node --env-file=.env --import tsx/esm src/main.ts` or `docker run --env-file .env …`',
    '# (docker compose takes only the variables docker-compose.yml names from it).',
    '# Reference: docs/configuration.md',
  ];
  const blocks = settings().map((s) => {
    const note = s.envDefault === '' && s.shownDefault !== 'none' ? ` (default: ${plain(s.shownDefault)})` : '';
    return [...wrap(plain(s.description) + note, 100, '# '), `#${s.name}=${s.envDefault}`].join('\n');
  });
  return `${[head.join('\n'), ...blocks].join('\n\n')}\n`;
}

/** Replaces what lies between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`. */
export function replaceGenerated(text: string, name: string, content: string, file: string): string {
  const open = `<!-- generated:${name} -->`;
  const close = `<!-- /generated:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${file} has no ${open} … ${close} markers to write the ${name} table between.`);
  return `${text.slice(0, start + open.length)}\n${content}\n${text.slice(end)}`;
}

/** Every generated file as it should be, given the repository's current text around the markers. */
export async function generatedFiles(root: string): Promise<GeneratedFile[]> {
  const withTable = async (file: string, name: string, content: string): Promise<GeneratedFile> => ({
    file,
    content: replaceGenerated(await readFile(path.join(root, file), 'utf8'), name, content, file),
  });
  return [
    await withTable('docs/configuration.md', 'config', settingsTable()),
    await withTable('docs/api.md', 'errors', errorTables()),
    { file: '.env.example', content: envExample() },
  ];
}
