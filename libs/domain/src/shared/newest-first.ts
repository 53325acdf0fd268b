import type { Tx } from '@tasuki/platform';
import { decodeTimeCursor, pageSize, toPage, type Page } from './pagination.js';
import type { SqlConditions } from './sql-conditions.js';

/**
 * A list newest first, keyset-paginated on (created_at, id). Built from the arguments before the transaction (so a
 * bad `first` or `after` is refused without one); `page` then reads one page and the total count, which does not
 * see the cursor. The columns must include `id` and `created_at::text AS created_key` (text keeps the microseconds
 * a Date would lose, so the cursor never skips a row).
 */
export class NewestFirst {
  private readonly limit: number;
  private readonly cursor: [string, string] | null;

  constructor(first?: number | null, after?: string | null) {
    this.limit = pageSize(first);
    this.cursor = decodeTimeCursor(after);
  }

  async page<R extends { id: string; created_key: string }, T>(
    tx: Tx,
    q: { from: string; columns: string; filters: SqlConditions; map: (r: R) => T },
  ): Promise<Page<T>> {
    const page = q.filters.copy();
    if (this.cursor) page.add((at, id) => `(created_at, id) < (${at}::timestamptz, ${id}::uuid)`, ...this.cursor);
    const rows: R[] = await tx.query(
      `SELECT ${q.columns} FROM ${q.from} ${page.sql} ORDER BY created_at DESC, id DESC LIMIT ${page.param(this.limit + 1)}`,
      page.params,
    );
    const [{ count }]: { count: number }[] = await tx.query(
      `SELECT count(*)::int AS count FROM ${q.from} ${q.filters.sql}`,
      q.filters.params,
    );
    return toPage(rows, this.limit, count, q.map, (r) => [r.created_key, r.id]);
  }
}
