import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@tasuki/platform';
import { HandoversService } from '../handovers/handovers.service.js';
import { REMINDER_HANDLERS } from './reminder-handlers.js';
import { jstAt, type ReminderKind, type ReminderRow } from './reminder.model.js';

/** An ENQUEUED reminder whose job has not finished after this long is enqueued again (same job id). */
export const REENQUEUE_AFTER_MS = 5 * 60_000;
/** The daily scans' reminders, created for every organization each day. */
export const DAILY_KINDS: readonly ReminderKind[] = ['TERMS_ENDING', 'STALE_CASES'];
export const DAILY_HOUR = 9;

/**
 * Reminders live in PostgreSQL with their due time. The worker's sweep (a BullMQ job scheduler, every minute)
 * claims the due ones and enqueues one keyed job each; the job handles its reminder in one transaction that locks
 * the row, does the effect and marks it DONE, so a job run twice (a retry, a crash, a second worker) has one effect.
 */
@Injectable()
export class RemindersService {
  constructor(
    private readonly db: Database,
    private readonly handovers: HandoversService,
  ) {}

  /**
   * Claims up to `limit` due reminders (PENDING, or ENQUEUED before `staleBefore` — default REENQUEUE_AFTER_MS ago
   * —: their job may have been lost with Redis) across organizations, hands them to `enqueue` inside the
   * transaction and marks them ENQUEUED. If `enqueue` throws (Redis down), nothing is marked and the next sweep
   * tries again. Returns how many were claimed.
   */
  async sweep(
    enqueue: (due: { id: string; orgId: string }[]) => Promise<void>,
    opts: { limit?: number; now?: Date; staleBefore?: Date } = {},
  ): Promise<number> {
    const now = opts.now ?? new Date();
    const staleBefore = opts.staleBefore ?? new Date(now.getTime() - REENQUEUE_AFTER_MS);
    return this.db.run({ orgId: null, userId: null, system: true }, async (tx) => {
      const due: { id: string; org_id: string }[] = await tx.query(
        `SELECT id, org_id FROM reminders
          WHERE due_at <= $1 AND (status = 'PENDING' OR (status = 'ENQUEUED' AND enqueued_at < $2))
          ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [now, staleBefore, opts.limit ?? 1000],
      );
      if (due.length === 0) return 0;
      await enqueue(due.map((d) => ({ id: d.id, orgId: d.org_id })));
      await tx.query(`UPDATE reminders SET status = 'ENQUEUED', enqueued_at = now() WHERE id = ANY ($1::uuid[])`, [
        due.map((d) => d.id),
      ]);
      return due.length;
    });
  }

  /**
   * Enqueues again, at once, every reminder ENQUEUED before now and not yet handled: called when the worker sees
   * Redis come back, which may have lost their jobs (a job that still exists makes the add a no-op).
   */
  async sweepEnqueued(enqueue: (due: { id: string; orgId: string }[]) => Promise<void>): Promise<number> {
    const staleBefore = await this.db.now();
    let total = 0;
    for (;;) {
      const n = await this.sweep(enqueue, { staleBefore });
      total += n;
      if (n === 0) return total;
    }
  }

  /**
   * Handles one reminder exactly once: its row locked, the effect and the DONE mark in one transaction acting for
   * its organization. A reminder already DONE (the job ran before) or being handled by another worker is skipped.
   */
  async process(id: string, orgId: string): Promise<string | null> {
    return this.db.run({ orgId, userId: null, system: true }, async (tx) => {
      const [r]: ReminderRow[] = await tx.query(
        `SELECT id, org_id, kind, subject_id, due_at, status FROM reminders
          WHERE id = $1 AND org_id = $2 AND status IN ('PENDING','ENQUEUED') FOR UPDATE`,
        [id, orgId],
      );
      if (!r) return null;
      const outcome = await REMINDER_HANDLERS[r.kind](tx, r, { handovers: this.handovers });
      await tx.query(`UPDATE reminders SET status = 'DONE', done_at = now(), outcome = $2 WHERE id = $1`, [
        r.id,
        outcome.slice(0, 200),
      ]);
      return outcome;
    });
  }

  /** The daily scans: one reminder of each daily kind per organization for `date` (idempotent). */
  async scheduleDaily(date: string): Promise<number> {
    return this.db.run({ orgId: null, userId: null, system: true }, async (tx: Tx) => {
      const rows: unknown[] = await tx.query(
        `INSERT INTO reminders (org_id, kind, subject_id, due_at)
         SELECT o.id, k, o.id, $2::timestamptz FROM organizations o CROSS JOIN unnest($1::text[]) AS k
         ON CONFLICT (org_id, kind, subject_id, due_at) DO NOTHING RETURNING id`,
        [DAILY_KINDS, jstAt(date, DAILY_HOUR)],
      );
      return rows.length;
    });
  }
}
