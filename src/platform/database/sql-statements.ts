/**
 * Every SQL statement the app sends, as Prisma reports them (its query
 * events): the metric gateway_db_statements_total counts them, and tests
 * assert how many an operation takes (no N+1, none on a hot cached path).
 */
export class SqlStatements {
  private readonly listeners = new Set<(sql: string) => void>();

  /** What openDatabase reports each statement to. */
  readonly record = (sql: string): void => {
    for (const listener of this.listeners) listener(sql);
  };

  /** Calls `listener` with every statement from now on, until the returned function is called. */
  watch(listener: (sql: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
