import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SIZE, encodeCursor, prismaWindow, readPage, type PageArgs, type PageWindow, type Position } from '../../src/platform/database/pagination.js';
import { GatewayError } from '../../src/platform/errors.js';

// Paging over an in-memory table read newest first, as the repositories' queries read theirs.

const at = (seconds: number, id: string): Position => ({ createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seconds)), id });

/** Rows in (createdAt, id) descending order, two of them sharing a timestamp. */
function table(count: number): Position[] {
  return Array.from({ length: count }, (_, i) => at(Math.floor(i / 2), `row-${String(i).padStart(3, '0')}`)).reverse();
}

const isAfter = (row: Position, position: Position) =>
  row.createdAt < position.createdAt || (row.createdAt.getTime() === position.createdAt.getTime() && row.id < position.id);

/** A read that counts its calls: the rows strictly between the window's bounds, `take` from its start (or its end, nearest first). */
function reader(rows: Position[]) {
  const reads: number[] = [];
  const read = async ({ take, after, before, backward }: PageWindow) => {
    reads.push(take);
    const range = rows.filter((row) => (!after || isAfter(row, after)) && (!before || isAfter(before, row)));
    return backward ? range.reverse().slice(0, take) : range.slice(0, take);
  };
  return { reads, read };
}

const count = async () => -1;

async function walk(rows: Position[], first: number): Promise<Position[][]> {
  const { read } = reader(rows);
  const pages: Position[][] = [];
  for (let after: string | null = null; ; ) {
    const page = await readPage({ first, after }, read, count);
    pages.push(page.items);
    if (!page.hasNextPage) return pages;
    after = encodeCursor(page.items.at(-1)!);
  }
}

function codeOf(args: PageArgs): Promise<string> {
  return readPage(args, reader(table(3)).read, count).then(
    () => 'none',
    (error: unknown) => (error instanceof GatewayError ? error.code : 'other'),
  );
}

describe('paging', () => {
  it('walks every row once, in order, following endCursor; the last page says there is no next', async () => {
    const rows = table(7);
    const pages = await walk(rows, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(rows);
  });

  it('reads one row more than the page, to learn whether another page exists', async () => {
    const { reads, read } = reader(table(3));
    expect(await readPage({ first: 3 }, read, count)).toMatchObject({ hasNextPage: false });
    expect(await readPage({ first: 2 }, read, count)).toMatchObject({ hasNextPage: true });
    expect(reads).toEqual([4, 3]);
  });

  it('keeps a cursor’s place when newer rows arrive meanwhile (a position, not an offset)', async () => {
    const rows = table(4);
    const { read } = reader(rows);
    const first = await readPage({ first: 2 }, read, count);
    rows.unshift(at(100, 'newer'));
    const second = await readPage({ first: 2, after: encodeCursor(first.items.at(-1)!) }, read, count);
    expect([...first.items, ...second.items]).toEqual(rows.slice(1));
  });

  it(`takes ${DEFAULT_PAGE_SIZE} rows when first is omitted or null`, async () => {
    const rows = table(30);
    for (const first of [undefined, null]) expect((await readPage({ first }, reader(rows).read, count)).items).toEqual(rows.slice(0, DEFAULT_PAGE_SIZE));
  });

  it('answers first: 0 and last: 0 with an empty page and no read at all, the count still there to ask', async () => {
    const { reads, read } = reader(table(3));
    for (const args of [{ first: 0 }, { last: 0 }]) {
      expect(await readPage(args, read, async () => 3)).toMatchObject({ items: [], hasNextPage: false, hasPreviousPage: false });
    }
    expect(reads).toEqual([]);
    expect(await (await readPage({ first: 0 }, read, async () => 3)).totalCount()).toBe(3);
  });

  it('walks backward from the end with last/before, every row once, each page in list order', async () => {
    const rows = table(7);
    const { read } = reader(rows);
    const pages: Position[][] = [];
    for (let before: string | null = null; ; ) {
      const page = await readPage({ last: 3, before }, read, count);
      expect(page.hasNextPage).toBe(false);
      pages.unshift(page.items);
      if (!page.hasPreviousPage) break;
      before = encodeCursor(page.items[0]!);
    }
    expect(pages.map((p) => p.length)).toEqual([1, 3, 3]);
    expect(pages.flat()).toEqual(rows);
  });

  it('takes `last` from the end of the range between after and before, ignoring first', async () => {
    const rows = table(9);
    const page = await readPage({ first: 1, after: encodeCursor(rows[1]!), before: encodeCursor(rows[7]!), last: 2 }, reader(rows).read, count);
    expect(page.items).toEqual(rows.slice(5, 7));
    expect(page.hasPreviousPage).toBe(true);
    const window = await readPage({ first: 10, after: encodeCursor(rows[1]!), before: encodeCursor(rows[7]!) }, reader(rows).read, count);
    expect(window.items).toEqual(rows.slice(2, 7));
  });

  it('refuses a cursor it did not give out, and a page size outside 0..100, as BAD_USER_INPUT', async () => {
    const forged = Buffer.from(JSON.stringify(['yesterday', 5])).toString('base64url');
    for (const after of ['not a cursor', forged, encodeCursor(at(1, 'x')).slice(0, -3)]) expect(await codeOf({ first: 1, after })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ last: 1, before: forged })).toBe('BAD_USER_INPUT');
    for (const last of [-1, 101]) expect(await codeOf({ last })).toBe('BAD_USER_INPUT');
    // A bad cursor is refused even when the page would be empty.
    expect(await codeOf({ first: 0, after: 'not a cursor' })).toBe('BAD_USER_INPUT');
    for (const first of [-1, 101, 1.5]) expect(await codeOf({ first })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ first: 100 })).toBe('none');
  });

  it('gives a Prisma findMany the bounds of the window, in the list order and its reverse when reading backward', async () => {
    const position = at(5, 'row-9');
    const { createdAt } = position;
    const older = { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: 'row-9' } }] };
    const newer = { OR: [{ createdAt: { gt: createdAt } }, { createdAt, id: { gt: 'row-9' } }] };
    expect(prismaWindow('desc', { take: 2, backward: false })).toEqual({ take: 2, where: { AND: [] }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    expect(prismaWindow('desc', { take: 2, after: position, backward: false }).where).toEqual({ AND: [older] });
    expect(prismaWindow('desc', { take: 2, before: position, backward: true })).toEqual({ take: 2, where: { AND: [newer] }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    expect(prismaWindow('asc', { take: 2, after: position, before: position, backward: false })).toEqual({ take: 2, where: { AND: [newer, older] }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  });
});
