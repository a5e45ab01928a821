import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { DEFAULT_PAGE_SIZE, encodeCursor, type Page, type PageArgs } from '../database/pagination.js';

/** Page sizes of every connection's `first` argument, for query costs. */
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../database/pagination.js';

/**
 * `first`/`after` (forward) and `last`/`before` (backward), the paging
 * arguments of every list query. The SDL lists them in this order, before the
 * query's own arguments (type-graphql emits parameters last to first).
 */
@ArgsType()
export class ConnectionArgs implements PageArgs {
  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE })
  first!: number | null;

  /** Rows before this cursor (pageInfo.startCursor of a later page). No SDL description: the argument lists stay on one line. */
  @Field(() => String, { nullable: true })
  before?: string | null;

  /** The last rows of the range (up to `before`, when given), in list order; `first` is then ignored. */
  @Field(() => Int, { nullable: true })
  last?: number | null;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;

  @Field(() => Boolean, { description: 'Known when paging backward (`last`); false when paging forward.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `before` to get the previous page.' })
  startCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  /** Counts the list's rows: called only when a client selects totalCount. */
  count: () => Promise<number>;
}

/** Relay-style connection types, one pair (XEdge, XConnection) per node type. */
export function ConnectionType<T extends object>(node: ClassType<T>) {
  @ObjectType(`${node.name}Edge`)
  class EdgeType {
    @Field(() => String)
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${node.name}Connection`)
  class ConnectionClass implements Connection<T> {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    count!: () => Promise<number>;

    @Field(() => Int, { description: 'Rows the list (with its filter) holds, paging aside. Counted only when selected.' })
    totalCount(): Promise<number> {
      return this.count();
    }
  }
  return ConnectionClass;
}

export function toConnection<R extends { createdAt: Date; id: string }, T>(page: Page<R>, map: (row: R) => T): Connection<T> {
  const edges = page.items.map((row) => ({ cursor: encodeCursor(row), node: map(row) }));
  const { hasNextPage, hasPreviousPage } = page;
  const pageInfo = { hasNextPage, hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null };
  return { edges, pageInfo, count: page.totalCount };
}
