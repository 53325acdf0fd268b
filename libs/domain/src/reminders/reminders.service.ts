import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '@tasuki/platform';
import { HandoversService } from '../handovers/handovers.service.js';
import { NotificationFeed } from '../notifications/notification-feed.js';
import { REMINDER_BATCH_HANDLERS, REMINDER_HANDLERS } from './reminder-handlers.js';
import { jstAt, type ReminderKind, type ReminderRow } from './reminder.model.js';

/** An ENQUEUED reminder whose job has not finished after this long is enqueued again (same job id). */
export const REENQUEUE_AFTER_MS = 5 * 60_000;
/**
 * How many of one organization's due reminders one job handles, in one transaction: a transaction per reminder
 * bounded the drain at a few hundred a second (PRODUCT.md §4 asks for 100,000 in a minute).
 */
export const REMINDERS_PER_JOB = 50;
/** The daily scans' reminders, created for every organization each day. */
export const DAILY_KINDS: readonly ReminderKind[] = ['TERMS_ENDING', 'STALE_CASES'];
export const DAILY_HOUR = 9;

/**
 * The sweep's claim cut into jobs: each organization's reminders in runs of `size`, each named by a digest of its
 * ids (the same claim swept again makes the same jobs; an overlapping one is harmless, a handled reminder is skipped).
 */
export function reminderBatches(
  due: readonly { id: string; orgId: string }[],
  size = REMINDERS_PER_JOB,
): { orgId: string; ids: string[]; key: string }[] {
  const byOrg = new Map<string, string[]>();
  for (const d of due) {
    const ids = byOrg.get(d.orgId);
    if (ids) ids.push(d.id);
    else byOrg.set(d.orgId, [d.id]);
  }
  const batches: { orgId: string; ids: string[]; key: string }[] = [];
  for (const [orgId, ids] of byOrg) {
    for (let i = 0; i < ids.length; i += size) {
      const run = ids.slice(i, i + size);
      batches.push({ orgId, ids: run, key: createHash('sha256').update(run.join(',')).digest('hex').slice(0, 32) });
    }
  }
  return batches;
}

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
    private readonly feed: NotificationFeed,
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
    const limit = opts.limit ?? 1000;
    return this.db.run({ orgId: null, userId: null, system: true }, async (tx) => {
      // Two claims, each on its own index (FOR UPDATE cannot lock through a UNION).
      const due: { id: string; org_id: string }[] = await tx.query(
        `SELECT id, org_id FROM reminders WHERE status = 'PENDING' AND due_at <= $1
          ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      if (due.length < limit) {
        due.push(
          ...(await tx.query(
            `SELECT id, org_id FROM reminders WHERE status = 'ENQUEUED' AND enqueued_at < $2 AND due_at <= $1
              ORDER BY enqueued_at, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
            [now, staleBefore, limit - due.length],
          )),
        );
      }
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
   * Handles reminders of one organization exactly once, in one transaction acting for it: their rows locked (in id
   * order), each effect in turn (in subject order, so that two transactions lock the subjects they share in the
   * same order), and their DONE marks. Reminders already DONE (their job ran before) are skipped; one being handled
   * by another worker is waited for, then skipped. Returns the outcome of each reminder handled now. If an effect
   * throws, nothing is done: the caller retries the reminders one by one. The notifications it inserts are pushed
   * live once it commits.
   */
  async processBatch(orgId: string, ids: readonly string[]): Promise<Map<string, string>> {
    return this.feed.run({ orgId, userId: null, system: true }, async (tx) => {
      const rows: ReminderRow[] = await tx.query(
        `SELECT id, org_id, kind, subject_id, due_at, status FROM reminders
          WHERE id = ANY ($1::uuid[]) AND org_id = $2 AND status IN ('PENDING','ENQUEUED') ORDER BY id FOR UPDATE`,
        [ids, orgId],
      );
      rows.sort((a, b) => (a.subject_id === b.subject_id ? 0 : a.subject_id < b.subject_id ? -1 : 1));
      const outcomes = new Map<string, string>();
      // Kinds with a batch handler in a few statements for all their reminders; the others one by one.
      for (const [kind, batch] of Object.entries(REMINDER_BATCH_HANDLERS)) {
        const ofKind = rows.filter((r) => r.kind === kind);
        if (ofKind.length > 0) for (const [id, outcome] of await batch(tx, ofKind)) outcomes.set(id, outcome);
      }
      for (const r of rows) {
        if (outcomes.has(r.id)) continue;
        outcomes.set(r.id, (await REMINDER_HANDLERS[r.kind](tx, r, { handovers: this.handovers })).slice(0, 200));
      }
      if (outcomes.size > 0) {
        await tx.query(
          `UPDATE reminders r SET status = 'DONE', done_at = now(), outcome = u.outcome
             FROM unnest($1::uuid[], $2::text[]) AS u (id, outcome) WHERE r.id = u.id`,
          [[...outcomes.keys()], [...outcomes.values()]],
        );
      }
      return outcomes;
    });
  }

  /** One reminder (processBatch of one): its outcome, or null when it was handled before. */
  async process(id: string, orgId: string): Promise<string | null> {
    return (await this.processBatch(orgId, [id])).get(id) ?? null;
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
