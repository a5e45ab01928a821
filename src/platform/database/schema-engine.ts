import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { pgPoolConfig, prepareSqliteFile, SQLITE_BUSY_TIMEOUT_MS, type DatabaseTarget } from './database-url.js';

// Prisma's schema engine compiled to WebAssembly: it migrates through a JS
// driver adapter, so no native engine download is needed (we are offline).
//
// Why not Prisma's own CLI: in Prisma 7.10 `prisma migrate deploy` / `migrate
// diff` always run the native schema engine, which they download on first use
// (a prisma.config.ts with a datasource URL still fetches
// binaries.prisma.sh/.../schema-engine.gz); prisma.config.ts has no driver
// adapter option for migrations any more. Re-check on each Prisma upgrade;
// when the CLI can migrate through an adapter, this folder can go.

export type { SchemaEngine };
export const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

// Only the bits of the WebAssembly global we use (lib "DOM" is not loaded).
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

let loaded: Promise<void> | undefined;

// The package's ESM entry does `import * as wasm from "./x.wasm"`, which Node
// 20 cannot import; do the same wiring by hand, once per process.
function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    const jsPath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(path.join(path.dirname(jsPath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  })();
  return loaded;
}

/**
 * Runs `fn` with an engine connected to `target`, then frees the engine and
 * closes every connection it opened (the engine itself never disposes them).
 * `schemaText` is the Prisma schema the engine is constructed with.
 */
export async function withSchemaEngine<T>(
  target: DatabaseTarget,
  schemaText: string | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  await loadWasm();
  const { factory, close } = adapterFactory(target);
  let engine: SchemaEngine | undefined;
  try {
    engine = await bg.SchemaEngine.new(
      { datamodels: schemaText === undefined ? undefined : [['schema.prisma', schemaText]] },
      () => {}, // JSON log lines; too chatty to print
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    return await fn(engine);
  } finally {
    engine?.free();
    await close();
  }
}

interface TrackedFactory {
  factory: SqlMigrationAwareDriverAdapterFactory;
  close: () => Promise<void>;
}

function adapterFactory(target: DatabaseTarget): TrackedFactory {
  const opened: SqlDriverAdapter[] = [];
  const track = async (a: Promise<SqlDriverAdapter>) => {
    const adapter = await a;
    opened.push(adapter);
    return adapter;
  };
  const closeAdapters = async () => {
    for (const a of opened.splice(0)) await a.dispose().catch(() => {});
  };

  if (target.kind === 'sqlite') {
    prepareSqliteFile(target.path);
    const inner = new PrismaBetterSqlite3({ url: `file:${target.path}`, timeout: SQLITE_BUSY_TIMEOUT_MS });
    const factory: SqlMigrationAwareDriverAdapterFactory = {
      provider: inner.provider,
      adapterName: inner.adapterName,
      connect: () => track(inner.connect()),
      connectToShadowDb: () => track(inner.connectToShadowDb()), // in-memory
    };
    return { factory, close: closeAdapters };
  }

  // We own the pool: the adapter's own shutdown and shadow-db handling are
  // not needed (we diff against scratch schemas instead of shadow databases).
  const pool = new pg.Pool(pgPoolConfig(target));
  const inner = new PrismaPg(pool, { schema: target.schema });
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: () => track(inner.connect().then(patchCharColumns)),
    connectToShadowDb: () => Promise.reject(new Error('shadow databases are not used; diff against a scratch schema')),
  };
  return {
    factory,
    close: async () => {
      await closeAdapters();
      await pool.end();
    },
  };
}

// @prisma/adapter-pg 7.10.0 rejects PostgreSQL's internal "char" type (oid 18),
// which the engine's catalog queries (relkind, contype, ...) return, so
// introspection fails. Report it as text (oid 25), which is what it holds.
// Relies on the adapter's internal performIO; versions are pinned.
interface PerformIO {
  performIO?: (query: unknown) => Promise<{ fields: { dataTypeID: number }[] }>;
  startTransaction?: (...args: unknown[]) => Promise<unknown>;
}
function patchCharColumns<A extends SqlDriverAdapter>(adapter: A): A {
  patchQueryable(adapter as unknown as PerformIO);
  const tx = adapter as unknown as PerformIO;
  if (tx.startTransaction) {
    const start = tx.startTransaction.bind(adapter);
    tx.startTransaction = async (...args) => patchQueryable((await start(...args)) as PerformIO);
  }
  return adapter;
}
function patchQueryable(q: PerformIO): PerformIO {
  const original = q.performIO?.bind(q);
  // Silently skipping would bring back the introspection failure as a puzzling migration error.
  if (!original) throw new Error('@prisma/adapter-pg no longer has performIO: revisit the "char" column workaround in schema-engine.ts before upgrading it');
  q.performIO = async (query) => {
    const result = await original(query);
    for (const field of result.fields) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
  return q;
}
