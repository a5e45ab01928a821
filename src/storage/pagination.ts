import { badInput } from '../errors.js';

/** Newest first: (createdAt, id) descending, which the @@index([.., createdAt, id]) indexes serve. */
export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first: number;
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
    if (typeof time === 'number' && Number.isFinite(time) && typeof id === 'string') return { createdAt: new Date(time), id };
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

/** The Prisma `where` fragment for rows strictly after the cursor in newest-first order. */
export function afterCursor(after: string | null | undefined) {
  if (!after) return {};
  const { createdAt, id } = decodeCursor(after);
  return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }] };
}

/** Fetches one row more than asked to learn whether another page exists. */
export async function fetchPage<T>(args: PageArgs, fetch: (take: number) => Promise<T[]>): Promise<Page<T>> {
  checkPageSize(args.first);
  const rows = await fetch(args.first + 1);
  return { items: rows.slice(0, args.first), hasNextPage: rows.length > args.first };
}
