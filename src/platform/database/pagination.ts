import { Prisma } from '../../generated/prisma/client.js';
import { badInput } from '../errors.js';

/** Newest first: (createdAt, id) descending, which the @@index([.., createdAt, id]) indexes serve. */
export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/** Oldest first: (createdAt, id) ascending (a conversation's messages). */
export const OLDEST_FIRST = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];

export const MAX_PAGE_SIZE = 100;

/** Every connection's `first` when omitted or null. */
export const DEFAULT_PAGE_SIZE = 20;

/**
 * Relay paging: `first`/`after` walk forward, `last`/`before` backward.
 * `after` and `before` bound the list together; with `last` the page is taken
 * from the end of that range and `first` is ignored (its default of 20 is
 * always present, so "both" cannot be told from "last alone").
 */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** Every row the list's filter matches, paging aside: a separate query, run only when called. */
  totalCount: () => Promise<number>;
}

export interface Position {
  createdAt: Date;
  id: string;
}

/** The order a list is read in: newest first, or oldest first. */
export type ListOrder = 'desc' | 'asc';

/**
 * What one read asks of the store: rows strictly between `after` and `before`
 * (positions in the list's order), `take` of them from the start of that
 * range, or from its end when `backward` (then read in reverse order, nearest
 * to `before` first).
 */
export interface PageWindow {
  take: number;
  after?: Position;
  before?: Position;
  backward: boolean;
}

/** Opaque to clients; stable across inserts because it names a position, not an offset. */
export function encodeCursor(row: Position): string {
  return Buffer.from(JSON.stringify([row.createdAt.getTime(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string, name: 'after' | 'before'): Position {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(typeof time === 'number' ? time : Number.NaN);
    if (Number.isFinite(createdAt.getTime()) && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through to the error below
  }
  const from = name === 'after' ? 'pageInfo.endCursor' : 'pageInfo.startCursor';
  throw badInput(`The "${name}" cursor is not one this API gave out. Use ${from} from a previous page.`);
}

export function checkPageSize(size: number, name: 'first' | 'last' = 'first'): void {
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badInput(`"${name}" must be between 0 and ${MAX_PAGE_SIZE}.`);
  }
}

/**
 * One page in one query: `read` is asked for one row more than the page
 * holds, to learn whether another page exists in the direction of travel
 * (the other direction is reported false: Relay allows it when it is not
 * cheap to know). A page size of 0 reads nothing and answers an empty page,
 * so any number of such aliases costs no database work; `totalCount` still
 * counts when asked.
 */
export async function readPage<T>(args: PageArgs, read: (window: PageWindow) => Promise<T[]>, count: () => Promise<number>): Promise<Page<T>> {
  const backward = args.last != null;
  const size = backward ? args.last! : (args.first ?? DEFAULT_PAGE_SIZE);
  checkPageSize(size, backward ? 'last' : 'first');
  const after = args.after ? decodeCursor(args.after, 'after') : undefined;
  const before = args.before ? decodeCursor(args.before, 'before') : undefined;
  const empty = { items: [], hasNextPage: false, hasPreviousPage: false, totalCount: count };
  if (size === 0) return empty;
  const rows = await read({ take: size + 1, after, before, backward });
  const more = rows.length > size;
  const items = rows.slice(0, size);
  return backward
    ? { items: items.reverse(), hasNextPage: false, hasPreviousPage: more, totalCount: count }
    : { items, hasNextPage: more, hasPreviousPage: false, totalCount: count };
}

/** Rows strictly past `position` in `order` (`past` false: strictly before it). */
function beyond({ createdAt, id }: Position, order: ListOrder, past: boolean) {
  return (order === 'desc') === past
    ? { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }] }
    : { OR: [{ createdAt: { gt: createdAt } }, { createdAt, id: { gt: id } }] };
}

/** The Prisma `where` and `orderBy` of one window of a list read in `order`. */
export interface PrismaWindow {
  take: number;
  where: { AND: Array<ReturnType<typeof beyond>> };
  orderBy: typeof NEWEST_FIRST | typeof OLDEST_FIRST;
}

export function prismaWindow(order: ListOrder, window: PageWindow): PrismaWindow {
  const bounds = [...(window.after ? [beyond(window.after, order, true)] : []), ...(window.before ? [beyond(window.before, order, false)] : [])];
  const readOrder = (order === 'desc') === !window.backward ? NEWEST_FIRST : OLDEST_FIRST;
  return { take: window.take, where: { AND: bounds }, orderBy: readOrder };
}

/** readPage for a Prisma `findMany`: `fetch` adds the window's `where` to its own and reads in its `orderBy`. */
export function fetchPage<T>(
  args: PageArgs,
  order: ListOrder,
  fetch: (window: PrismaWindow) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<Page<T>> {
  return readPage(args, (window) => fetch(prismaWindow(order, window)), count);
}

/**
 * The raw-SQL form of a newest-first window: its bound conditions and its
 * ORDER BY. A bound is a row-value comparison, which both databases turn into
 * a range of the (.., createdAt, id) index; the equivalent OR makes SQLite
 * read from the top of the list for every batch (quadratic over an export).
 */
export function newestFirstSql(window: PageWindow): { bounds: Prisma.Sql[]; orderBy: Prisma.Sql } {
  const bound = ({ createdAt, id }: Position, op: Prisma.Sql) => Prisma.sql`("createdAt", "id") ${op} (${createdAt}, ${id})`;
  const bounds = [...(window.after ? [bound(window.after, Prisma.raw('<'))] : []), ...(window.before ? [bound(window.before, Prisma.raw('>'))] : [])];
  const orderBy = window.backward ? Prisma.sql`"createdAt" ASC, "id" ASC` : Prisma.sql`"createdAt" DESC, "id" DESC`;
  return { bounds, orderBy };
}
