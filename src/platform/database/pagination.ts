import { badInput } from '../errors.js';

/** Newest first: (createdAt, id) descending, which the @@index([.., createdAt, id]) indexes serve. */
export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

export const MAX_PAGE_SIZE = 100;

/** Every connection's `first` when omitted or null. */
export const DEFAULT_PAGE_SIZE = 20;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}

export interface Position {
  createdAt: Date;
  id: string;
}

/** Opaque to clients; stable across inserts because it names a position, not an offset. */
export function encodeCursor(row: Position): string {
  return Buffer.from(JSON.stringify([row.createdAt.getTime(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(typeof time === 'number' ? time : Number.NaN);
    if (Number.isFinite(createdAt.getTime()) && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through to the error below
  }
  throw badInput('The "after" cursor is not one this API gave out. Use pageInfo.endCursor from a previous page.');
}

export function checkPageSize(first: number): void {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput(`"first" must be between 0 and ${MAX_PAGE_SIZE}.`);
  }
}

/** The Prisma `where` fragment for rows strictly after a position in newest-first order. */
export type AfterWhere = { OR: Array<Record<string, unknown>> } | Record<string, never>;

function after(position: Position | undefined): AfterWhere {
  if (!position) return {};
  const { createdAt, id } = position;
  return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }] };
}

/**
 * One page in one query: `read` gets the rows strictly after `position`
 * (newest first) and is asked for one row more than the page holds, to learn
 * whether another page exists. `first: 0` reads nothing and answers an empty
 * page with hasNextPage false (Relay allows false when it is not cheap to
 * know), so any number of such aliases costs no database work.
 */
export async function readPage<T>(args: PageArgs, read: (take: number, position: Position | undefined) => Promise<T[]>): Promise<Page<T>> {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  checkPageSize(first);
  const position = args.after ? decodeCursor(args.after) : undefined;
  if (first === 0) return { items: [], hasNextPage: false };
  const rows = await read(first + 1, position);
  return { items: rows.slice(0, first), hasNextPage: rows.length > first };
}

/** readPage for a Prisma `findMany`: `fetch` adds the `where` fragment to its own. */
export function fetchPage<T>(args: PageArgs, fetch: (take: number, where: AfterWhere) => Promise<T[]>): Promise<Page<T>> {
  return readPage(args, (take, position) => fetch(take, after(position)));
}
