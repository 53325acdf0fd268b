import type pg from 'pg';

/**
 * `count` placed clients of one organization, each with its case (assigned to one of `assigneeIds`, in turn), a
 * placement and a two-week follow-up due today, and the follow-up's FOLLOW_UP_DUE reminder due at `dueAt`: each
 * reminder, handled, notifies exactly one assignee. Written in bulk as the owner, behind the services (what
 * recordPlacement would have written, without its other reminders).
 */
export async function seedFollowUpReminders(
  owner: pg.Pool,
  o: { orgId: string; assigneeIds: readonly string[]; count: number; dueAt: Date },
): Promise<void> {
  await owner.query(
    `WITH cl AS (
       INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code)
       SELECT gen_random_uuid(), $1, '相談者' || i, '花子', date '1960-01-01' + i % 15000, '13'
         FROM generate_series(1, $2) i
       RETURNING id),
     cs AS (
       INSERT INTO cases (org_id, client_id, phase) SELECT $1, id, 'PLACED' FROM cl RETURNING id, client_id),
     asg AS (
       INSERT INTO case_assignments (org_id, case_id, user_id)
       SELECT $1, cs.id, ($3::uuid[])[1 + (row_number() OVER () % cardinality($3::uuid[]))] FROM cs),
     pl AS (
       INSERT INTO placements (org_id, case_id, client_id, employer_name, start_date, route, weekly_hours_band)
       SELECT $1, id, client_id, '株式会社サンプル', current_date - 14, 'GENERAL_OPEN', 'FROM_30' FROM cs
       RETURNING id, case_id),
     fu AS (
       INSERT INTO follow_ups (org_id, case_id, placement_id, milestone, due_on)
       SELECT $1, case_id, id, 'W2', current_date FROM pl RETURNING id)
     INSERT INTO reminders (org_id, kind, subject_id, due_at) SELECT $1, 'FOLLOW_UP_DUE', id, $4 FROM fu`,
    [o.orgId, o.count, o.assigneeIds, o.dueAt],
  );
}

/** How many reminders are in each status (absent statuses count 0). */
export async function reminderStatuses(owner: pg.Pool): Promise<Record<'PENDING' | 'ENQUEUED' | 'DONE', number>> {
  const { rows } = await owner.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM reminders GROUP BY status`,
  );
  const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  return { PENDING: by.PENDING ?? 0, ENQUEUED: by.ENQUEUED ?? 0, DONE: by.DONE ?? 0 };
}

/**
 * What exactly once is checked on: the reminders of `kind`, the notifications they made (`reminder-<id>` keys),
 * the keys notified more than once, and the reminders without a notification.
 */
export async function deliveryFigures(owner: pg.Pool, kind: string) {
  const { rows } = await owner.query<{ reminders: number; notifications: number; duplicated: number; missing: number }>(
    `WITH n AS (SELECT dedupe_key, count(*) AS c FROM notifications WHERE kind = $1 GROUP BY dedupe_key)
     SELECT (SELECT count(*)::int FROM reminders WHERE kind = $1) AS reminders,
            (SELECT coalesce(sum(c), 0)::int FROM n) AS notifications,
            (SELECT count(*)::int FROM n WHERE c > 1) AS duplicated,
            (SELECT count(*)::int FROM reminders r WHERE r.kind = $1
                AND NOT EXISTS (SELECT 1 FROM n WHERE n.dedupe_key = 'reminder-' || r.id)) AS missing`,
    [kind],
  );
  return rows[0]!;
}
