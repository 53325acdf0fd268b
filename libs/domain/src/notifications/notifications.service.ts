import { Injectable } from '@nestjs/common';
import { assertCan, Database, notFound, queryRows, tenantScope, type RequestContext } from '@tasuki/platform';
import { NewestFirst } from '../shared/newest-first.js';
import type { Page } from '../shared/pagination.js';
import { SqlConditions } from '../shared/sql-conditions.js';
import { isUuid } from '../shared/validation.js';

export interface NotificationView {
  id: string;
  kind: string;
  subjectType: string | null;
  subjectId: string | null;
  message: string;
  createdAt: Date;
  readAt: Date | null;
}

interface NotificationRow {
  id: string;
  kind: string;
  subject_type: string | null;
  subject_id: string | null;
  message: string;
  created_at: Date;
  created_key: string;
  read_at: Date | null;
}

const COLUMNS = `id, kind, subject_type, subject_id, message, created_at, created_at::text AS created_key, read_at`;

const toView = (r: NotificationRow): NotificationView => ({
  id: r.id,
  kind: r.kind,
  subjectType: r.subject_type,
  subjectId: r.subject_id,
  message: r.message,
  createdAt: r.created_at,
  readAt: r.read_at,
});

/** A signed-in user's in-app notifications in the acting organization (RLS: their own only). */
@Injectable()
export class NotificationsService {
  constructor(private readonly db: Database) {}

  async list(
    ctx: RequestContext,
    unreadOnly?: boolean | null,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<NotificationView>> {
    assertCan(ctx, 'read', 'Notification');
    const list = new NewestFirst(first, after);
    const filters = new SqlConditions().add((o, u) => `org_id = ${o} AND user_id = ${u}`, ctx.orgId, ctx.user.id);
    if (unreadOnly) filters.add(() => 'read_at IS NULL');
    return this.db.run(tenantScope(ctx), (tx) =>
      list.page(tx, { from: 'notifications', columns: COLUMNS, filters, map: toView }),
    );
  }

  /**
   * The caller's own notifications among `ids`, oldest first (the live push: ids come from Redis, so anything not
   * the caller's in the acting organization is simply absent, in SQL and by RLS).
   */
  async byIds(ctx: RequestContext, ids: readonly string[]): Promise<NotificationView[]> {
    assertCan(ctx, 'read', 'Notification');
    const wanted = ids.filter(isUuid);
    if (wanted.length === 0) return [];
    return this.db.run(tenantScope(ctx), async (tx) => {
      const rows: NotificationRow[] = await tx.query(
        `SELECT ${COLUMNS} FROM notifications WHERE id = ANY ($1::uuid[]) AND org_id = $2 AND user_id = $3
          ORDER BY created_at, id`,
        [wanted, ctx.orgId, ctx.user.id],
      );
      return rows.map(toView);
    });
  }

  /** Marks one of the caller's notifications read (again: keeps the first time). */
  async markRead(ctx: RequestContext, id: string): Promise<NotificationView> {
    assertCan(ctx, 'update', 'Notification');
    if (!isUuid(id)) throw notFound('通知');
    return this.db.run(tenantScope(ctx), async (tx) => {
      const [row] = await queryRows<NotificationRow>(
        tx,
        `UPDATE notifications SET read_at = coalesce(read_at, now())
          WHERE id = $1 AND org_id = $2 AND user_id = $3 RETURNING ${COLUMNS}`,
        [id, ctx.orgId, ctx.user.id],
      );
      if (!row) throw notFound('通知');
      return toView(row);
    });
  }
}
