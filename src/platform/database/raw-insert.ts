import { Prisma } from '../../generated/prisma/client.js';

/**
 * Rows written as plain INSERTs instead of through Prisma's model API, where
 * the query compiler costs more than the write (the usage ledger's flush, a
 * fresh answer). The columns come from a model's generated ScalarFieldEnum,
 * so a column added to the model is written too; the values pass through the
 * same driver adapter as Prisma's own writes, so they are stored alike
 * (test/integration/usage.test.ts and answer-store.test.ts compare them).
 */
export interface RawTable<Row> {
  /** `INSERT INTO "Table" ("a", "b", …)`: the statement's head. */
  insertInto: Prisma.Sql;
  /** One row's `(…)` tuple, its values in the columns' order. */
  values(row: Row): Prisma.Sql;
}

export function rawTable<Row>(table: string, fields: ReadonlyArray<keyof Row & string>): RawTable<Row> {
  return {
    insertInto: Prisma.raw(`INSERT INTO "${table}" (${fields.map((field) => `"${field}"`).join(', ')})`),
    values: (row) => Prisma.sql`(${Prisma.join(fields.map((field) => row[field]))})`,
  };
}
