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

interface Position {
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
 * Fetches one row more than asked to learn whether another page exists.
 * `keep` refines what the database can only approximate (SQL LIKE treats
 * % and _ as wildcards and ignores ASCII case on SQLite); rows it drops are
 * skipped and more are read, so pages stay full and cursors stay exact.
 */
export async function fetchPage<T extends Position>(
  args: PageArgs,
  fetch: (take: number, where: AfterWhere) => Promise<T[]>,
  keep: (row: T) => boolean = () => true,
): Promise<Page<T>> {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  checkPageSize(first);
  const take = first + 1;
  const items: T[] = [];
  let position = args.after ? decodeCursor(args.after) : undefined;
  for (;;) {
    const rows = await fetch(take, after(position));
    items.push(...rows.filter(keep));
    if (items.length >= take || rows.length < take) break;
    position = rows.at(-1);
  }
  return { items: items.slice(0, first), hasNextPage: items.length > first };
}
