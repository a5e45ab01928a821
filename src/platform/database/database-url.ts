import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { PoolConfig } from 'pg';
import { defaultDatabaseUser } from '../config.js';

// One parser for DATABASE_URL so the app client, the migrator and the CLIs
// agree on which file / server / schema a URL means.

export type DatabaseTarget =
  | { kind: 'sqlite'; url: string; path: string }
  | { kind: 'postgresql'; url: string; connectionString: string; schema: string };

export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  if (databaseUrl.startsWith('file:')) {
    return { kind: 'sqlite', url: databaseUrl, path: sqlitePath(databaseUrl) };
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // `?schema=` is Prisma's convention, unknown to pg: strip it and apply it
    // through the adapter option plus search_path (see pgPoolConfig).
    const url = new URL(databaseUrl);
    const schema = url.searchParams.get('schema') || 'public';
    url.searchParams.delete('schema');
    if (!url.username) url.username = encodeURIComponent(defaultDatabaseUser());
    return { kind: 'postgresql', url: databaseUrl, connectionString: url.toString(), schema };
  }
  throw new Error(
    `DATABASE_URL must start with "file:" (SQLite) or "postgres://" / "postgresql://" (PostgreSQL), got "${redact(databaseUrl)}"`,
  );
}

// `file:./x.db` is relative to the working directory, like Prisma's adapter.
function sqlitePath(url: string): string {
  const withoutQuery = url.split('?')[0] ?? url;
  if (withoutQuery.startsWith('file://')) return fileURLToPath(withoutQuery);
  const p = withoutQuery.slice('file:'.length);
  if (p === '' || p === ':memory:') return ':memory:';
  return path.resolve(p);
}

// A plain config object (not just a connection string) so callers may add
// fields; pg lets the connection string win over `database`, never `options`.
export function pgPoolConfig(target: Extract<DatabaseTarget, { kind: 'postgresql' }>): PoolConfig {
  return {
    connectionString: target.connectionString,
    options: `-c search_path=${quoteIdent(target.schema)}`,
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// Creates the parent folder and turns on WAL once: journal_mode=WAL is stored
// in the file, so every later connection (the app's adapter, the migrator)
// gets concurrent readers without needing a hook into the adapter.
export function prepareSqliteFile(filePath: string): void {
  if (filePath === ':memory:') return;
  mkdirSync(path.dirname(filePath), { recursive: true });
  const db = new Database(filePath, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

/** better-sqlite3 `timeout` is SQLite's busy timeout. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
