import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { paths } from './migration-files.js';

// prisma/schema.prisma (SQLite) is the only schema people edit; the
// PostgreSQL copy differs in the datasource provider and the client's output
// folder, and is derived here so the two cannot drift apart. A line
// commented `// postgresql: <attribute>` is PostgreSQL's alone (an index
// SQLite has no form of): the copy has it uncommented.

const HEADER =
  '// GENERATED from prisma/schema.prisma by `npm run db:generate` (prisma/generate.ts).\n' +
  '// Do not edit: change prisma/schema.prisma instead.\n\n';

const POSTGRES_ONLY = /^(\s*)\/\/ postgresql: /gm;

export function toPostgresSchema(sqliteSchema: string): string {
  const out = replaceInBlock(
    replaceInBlock(sqliteSchema, /^datasource\s+\w+\s*\{/m, /provider\s*=\s*"sqlite"/, 'provider = "postgresql"'),
    /^generator\s+client\s*\{/m,
    /output\s*=\s*"[^"]*"/,
    'output       = "../../src/generated/prisma-pg"',
  );
  return HEADER + out.replace(POSTGRES_ONLY, '$1');
}

// Replace exactly one match inside the `{ ... }` block starting at `blockStart`,
// failing loudly if the schema no longer has the expected shape.
function replaceInBlock(text: string, blockStart: RegExp, pattern: RegExp, replacement: string): string {
  const start = blockStart.exec(text);
  if (!start) throw new Error(`prisma/schema.prisma: no block matching ${blockStart}`);
  const end = text.indexOf('}', start.index);
  const block = text.slice(start.index, end);
  if (!pattern.test(block)) throw new Error(`prisma/schema.prisma: ${pattern} not found in ${start[0]} block`);
  return text.slice(0, start.index) + block.replace(pattern, replacement) + text.slice(end);
}

async function expectedAndCurrent(): Promise<[string, string | null]> {
  const expected = toPostgresSchema(await readFile(paths.sqlite.schema, 'utf8'));
  return [expected, await readFile(paths.postgresql.schema, 'utf8').catch(() => null)];
}

/** Whether the committed prisma/postgres/schema.prisma matches schema.prisma. */
export async function postgresSchemaIsCurrent(): Promise<boolean> {
  const [expected, current] = await expectedAndCurrent();
  return expected === current;
}

/** Rewrites prisma/postgres/schema.prisma if stale; returns whether it changed. */
export async function syncPostgresSchema(): Promise<boolean> {
  const [expected, current] = await expectedAndCurrent();
  if (current === expected) return false;
  await mkdir(path.dirname(paths.postgresql.schema), { recursive: true });
  await writeFile(paths.postgresql.schema, expected);
  return true;
}
