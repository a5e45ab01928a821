/** Groups items by key, keeping first-seen key order (Map.groupBy needs Node 21+). */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** DataLoader's contract: one result per key, in the keys' order; null where a key found nothing. */
export function byKeys<T>(keys: readonly string[], rows: Iterable<T>, keyOf: (row: T) => string): Array<T | null> {
  const byKey = new Map<string, T>();
  for (const row of rows) byKey.set(keyOf(row), row);
  return keys.map((key) => byKey.get(key) ?? null);
}

/** Like byKeys, for one-to-many: every key gets its (possibly empty) group. */
export function groupsByKeys<T>(keys: readonly string[], rows: Iterable<T>, keyOf: (row: T) => string): T[][] {
  const groups = groupBy(rows, keyOf);
  return keys.map((key) => groups.get(key) ?? []);
}

/** Splits items into groups of at most `size`, keeping their order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}
