import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SIZE, encodeCursor, fetchPage, readPage, type PageArgs, type Position } from '../../src/platform/database/pagination.js';
import { GatewayError } from '../../src/platform/errors.js';

// Paging over an in-memory table read newest first, as the repositories' queries read theirs.

const at = (seconds: number, id: string): Position => ({ createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seconds)), id });

/** Rows in (createdAt, id) descending order, two of them sharing a timestamp. */
function table(count: number): Position[] {
  return Array.from({ length: count }, (_, i) => at(Math.floor(i / 2), `row-${String(i).padStart(3, '0')}`)).reverse();
}

const isAfter = (row: Position, position: Position) =>
  row.createdAt < position.createdAt || (row.createdAt.getTime() === position.createdAt.getTime() && row.id < position.id);

/** A read that counts its calls: the rows strictly after `position`, at most `take`. */
function reader(rows: Position[]) {
  const reads: number[] = [];
  const read = async (take: number, position: Position | undefined) => {
    reads.push(take);
    return rows.filter((row) => !position || isAfter(row, position)).slice(0, take);
  };
  return { reads, read };
}

async function walk(rows: Position[], first: number): Promise<Position[][]> {
  const { read } = reader(rows);
  const pages: Position[][] = [];
  for (let after: string | null = null; ; ) {
    const page = await readPage({ first, after }, read);
    pages.push(page.items);
    if (!page.hasNextPage) return pages;
    after = encodeCursor(page.items.at(-1)!);
  }
}

function codeOf(args: PageArgs): Promise<string> {
  return readPage(args, reader(table(3)).read).then(
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
    expect(await readPage({ first: 3 }, read)).toMatchObject({ hasNextPage: false });
    expect(await readPage({ first: 2 }, read)).toMatchObject({ hasNextPage: true });
    expect(reads).toEqual([4, 3]);
  });

  it('keeps a cursor’s place when newer rows arrive meanwhile (a position, not an offset)', async () => {
    const rows = table(4);
    const { read } = reader(rows);
    const first = await readPage({ first: 2 }, read);
    rows.unshift(at(100, 'newer'));
    const second = await readPage({ first: 2, after: encodeCursor(first.items.at(-1)!) }, read);
    expect([...first.items, ...second.items]).toEqual(rows.slice(1));
  });

  it(`takes ${DEFAULT_PAGE_SIZE} rows when first is omitted or null`, async () => {
    const rows = table(30);
    for (const first of [undefined, null]) expect((await readPage({ first }, reader(rows).read)).items).toEqual(rows.slice(0, DEFAULT_PAGE_SIZE));
  });

  it('answers first: 0 with an empty page and no read at all', async () => {
    const { reads, read } = reader(table(3));
    expect(await readPage({ first: 0 }, read)).toEqual({ items: [], hasNextPage: false });
    expect(reads).toEqual([]);
  });

  it('refuses a cursor it did not give out, and a page size outside 0..100, as BAD_USER_INPUT', async () => {
    const forged = Buffer.from(JSON.stringify(['yesterday', 5])).toString('base64url');
    for (const after of ['not a cursor', forged, encodeCursor(at(1, 'x')).slice(0, -3)]) expect(await codeOf({ first: 1, after })).toBe('BAD_USER_INPUT');
    // A bad cursor is refused even when the page would be empty.
    expect(await codeOf({ first: 0, after: 'not a cursor' })).toBe('BAD_USER_INPUT');
    for (const first of [-1, 101, 1.5]) expect(await codeOf({ first })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ first: 100 })).toBe('none');
  });

  it('gives a Prisma findMany the where fragment of rows after the cursor, and none on the first page', async () => {
    const wheres: unknown[] = [];
    const fetch = async (_take: number, where: unknown) => {
      wheres.push(where);
      return [];
    };
    const position = at(5, 'row-9');
    await fetchPage({ first: 1 }, fetch);
    await fetchPage({ first: 1, after: encodeCursor(position) }, fetch);
    expect(wheres).toEqual([{}, { OR: [{ createdAt: { lt: position.createdAt } }, { createdAt: position.createdAt, id: { lt: 'row-9' } }] }]);
  });
});
