import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../support/embedded-postgres.js';

// PGlite behind the wire protocol (what the PostgreSQL tests run on without a server): one backend
// shared by every connection, so each must get its turn whole and its own search_path back.

let server: EmbeddedPostgres;
const pools: pg.Pool[] = [];
const pool = (schema?: string) => {
  const created = new pg.Pool({ connectionString: server.url, max: 4, ...(schema && { options: `-c search_path="${schema}"` }) });
  pools.push(created);
  return created;
};

beforeAll(async () => {
  server = await startEmbeddedPostgres();
  await pool().query('CREATE SCHEMA left_side; CREATE SCHEMA right_side; CREATE TABLE left_side.t (v int); CREATE TABLE right_side.t (v int)');
}, 120_000);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await server?.close();
});

it('keeps each connection in the schema its startup options name, through interleaved transactions', async () => {
  const sides = { left_side: pool('left_side'), right_side: pool('right_side') };
  // Every client opens a transaction and yields between statements, so the sides' turns interleave.
  await Promise.all(
    Object.values(sides).flatMap((side, n) =>
      Array.from({ length: 8 }, async (_, i) => {
        const client = await side.connect();
        try {
          await client.query('BEGIN');
          await client.query('INSERT INTO t VALUES ($1)', [n * 100 + i]);
          await client.query('INSERT INTO t VALUES ($1)', [n * 100 + i + 50]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }),
    ),
  );
  const read = async (side: pg.Pool) => (await side.query<{ v: number }>('SELECT v FROM t ORDER BY v')).rows.map((row) => row.v);
  expect(await read(sides.left_side)).toEqual([...Array.from({ length: 8 }, (_, i) => i), ...Array.from({ length: 8 }, (_, i) => i + 50)]);
  expect(await read(sides.right_side)).toEqual([...Array.from({ length: 8 }, (_, i) => 100 + i), ...Array.from({ length: 8 }, (_, i) => 150 + i)]);
});

it('answers concurrent parameterized queries each with its own result', async () => {
  const shared = pool();
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => shared.query<{ n: number }>('SELECT $1::int * 2 AS n', [i])));
  expect(results.map((result) => result.rows[0]!.n)).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
});

it('rolls back the transaction of a connection that goes away, and serves the others', async () => {
  const side = pool('left_side');
  const quitter = new pg.Client({ connectionString: server.url, options: '-c search_path="left_side"' });
  await quitter.connect();
  await quitter.query('BEGIN');
  await quitter.query('INSERT INTO t VALUES (-1)');
  // While it holds the backend, another connection waits for its turn.
  const waiting = side.query<{ count: number }>('SELECT count(*)::int AS count FROM t WHERE v = -1');
  await quitter.end();
  expect((await waiting).rows[0]!.count).toBe(0);
});

it('reports an SQL error to its client and keeps serving', async () => {
  const shared = pool();
  await expect(shared.query('SELECT no_such_column')).rejects.toThrow(/no_such_column/);
  expect((await shared.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
});

it("leaves the run's exit code alone as PGlite boots and closes (its runtime writes process.exitCode)", async () => {
  const own = await startEmbeddedPostgres();
  const before = process.exitCode;
  process.exitCode = 1; // as vitest marks a run with a failure
  try {
    const client = new pg.Client({ connectionString: own.url });
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
    await own.close();
    expect(process.exitCode).toBe(1);
  } finally {
    process.exitCode = before;
  }
}, 120_000);
