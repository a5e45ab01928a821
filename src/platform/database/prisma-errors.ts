import { GatewayError } from '../errors.js';

/**
 * Prisma's "unique constraint failed" (P2002, the same for every driver adapter), or the same
 * refusal of a raw statement (P2010, the adapter's kind in `meta.driverAdapterError`).
 */
export function isUniqueViolation(error: unknown): boolean {
  return prismaCode(error) === 'P2002' || driverErrorKind(error) === 'UniqueConstraintViolation';
}

/** Prisma's "foreign key constraint failed" (P2003, or a raw statement's): a row's parent is gone (deleted meanwhile). */
export function isForeignKeyViolation(error: unknown): boolean {
  return prismaCode(error) === 'P2003' || driverErrorKind(error) === 'ForeignKeyConstraintViolation';
}

const prismaCode = (error: unknown) => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);

/** What the driver adapter said of a statement the database refused: Prisma keeps it in `meta.driverAdapterError`. */
function driverAdapterCause(error: unknown): { kind?: unknown; originalCode?: unknown } | undefined {
  return (error as { meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } } } | null)?.meta?.driverAdapterError?.cause;
}

/** The adapter's name for why the database refused a statement (UniqueConstraintViolation, …). */
const driverErrorKind = (error: unknown) => driverAdapterCause(error)?.kind;

/** The database's own error code behind a Prisma error (SQLITE_FULL, a PostgreSQL SQLSTATE). */
export function databaseErrorCode(error: unknown): string | undefined {
  const code = driverAdapterCause(error)?.originalCode;
  return typeof code === 'string' ? code : undefined;
}

/** Out of space: SQLite's SQLITE_FULL, PostgreSQL's disk_full. */
const DATABASE_FULL_CODES = new Set(['SQLITE_FULL', '53100']);

export function isDatabaseFull(error: unknown): boolean {
  const code = databaseErrorCode(error);
  return code !== undefined && DATABASE_FULL_CODES.has(code);
}

/**
 * A write the database refused for want of space, as the coded error a full disk is (STORAGE_FULL, 507):
 * the server's fault, never the client's. Undefined for any other error.
 */
export function databaseFull(error: unknown): GatewayError | undefined {
  if (!isDatabaseFull(error)) return undefined;
  return new GatewayError(
    'STORAGE_FULL',
    `The gateway could not record this: its database is full (${databaseErrorCode(error)}). Nothing of it was stored; send it again later. The operator must free space for the database (under DATA_DIR for SQLite).`,
    { cause: error, retryable: true },
  );
}
