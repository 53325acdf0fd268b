import { Injectable } from '@nestjs/common';
import { Database } from '@tasuki/platform';
import { NotificationFeed } from '../notifications/notification-feed.js';
import { actFor, coordinatorsOf, notify } from '../notifications/notify.js';
import { WebhookDeliveryService, type DeliveryAttempt } from '../webhooks/webhook-delivery.service.js';
import { REENQUEUE_AFTER_MS } from '../reminders/reminders.service.js';
import { JOB_OUTBOX_KINDS, type JobOutboxKind, type OutboxKind, type OutboxRow } from './outbox.js';

/** An outbox event's effect, in a transaction acting for the row's organization. Keyed: a rerun does nothing. */
type OutboxHandler = (tx: import('@tasuki/platform').Tx, row: OutboxRow) => Promise<void>;

/**
 * Every kind but `webhook.deliver`, whose attempt is an HTTP call and runs outside a transaction, and the kinds that
 * become jobs of their own (`report.export`).
 */
const HANDLERS: Record<Exclude<OutboxKind, 'webhook.deliver' | JobOutboxKind>, OutboxHandler> = {
  /** A referral arrived: the recipient's coordinators are told (they answer referrals). */
  async 'referral.sent'(tx, row) {
    const [r]: { id: string; to_org_id: string; from_name: string }[] = await tx.query(
      `SELECT r.id, r.to_org_id, o.name AS from_name FROM referrals r JOIN organizations o ON o.id = r.org_id
        WHERE r.id = $1 AND r.org_id = $2`,
      [row.payload.referralId, row.org_id],
    );
    if (!r) return;
    await actFor(tx, r.to_org_id);
    await notify(tx, {
      orgId: r.to_org_id,
      userIds: await coordinatorsOf(tx, r.to_org_id),
      kind: 'REFERRAL_RECEIVED',
      subjectType: 'Referral',
      subjectId: r.id,
      message: `${r.from_name}から新しい紹介が届きました。`,
      dedupeKey: `outbox-${row.id}`,
    });
  },
  /** A handover was submitted: its successor is told. */
  async 'handover.submitted'(tx, row) {
    const [h]: { id: string; to_user_id: string; effective_on: string }[] = await tx.query(
      `SELECT id, to_user_id, to_char(effective_on, 'FMMM"月"FMDD"日"') AS effective_on FROM handovers
        WHERE id = $1 AND org_id = $2`,
      [row.payload.handoverId, row.org_id],
    );
    if (!h) return;
    await notify(tx, {
      orgId: row.org_id,
      userIds: [h.to_user_id],
      kind: 'HANDOVER_SUBMITTED',
      subjectType: 'Handover',
      subjectId: h.id,
      message: `あなた宛ての引継ぎ（${h.effective_on}付）が提出されました。内容を確認してください。`,
      dedupeKey: `outbox-${row.id}`,
    });
  },
};

/**
 * The outbox's two halves in the worker: the relay, which moves committed rows to BullMQ (`FOR UPDATE SKIP
 * LOCKED`, so several workers share the rows, and each row becomes the job `outbox-<id>`), and the effect of one
 * event, run by that job.
 */
@Injectable()
export class OutboxService {
  constructor(
    private readonly db: Database,
    private readonly feed: NotificationFeed,
    private readonly webhooks: WebhookDeliveryService,
  ) {}

  /**
   * Claims up to `limit` rows to relay — never relayed, or relayed before `staleBefore` (default: REENQUEUE_AFTER_MS
   * ago) and still not processed, their job lost with Redis's data — hands them to `enqueue` inside the transaction
   * and marks them relayed. If `enqueue` throws (Redis down), nothing is marked and the rows wait for the next pass.
   * A row relayed again keeps its job id: BullMQ ignores it while the first job exists, and its effect is keyed.
   */
  async relay(
    enqueue: (rows: OutboxRow[]) => Promise<void>,
    opts: { limit?: number; staleBefore?: Date } = {},
  ): Promise<number> {
    const staleBefore = opts.staleBefore ?? new Date(Date.now() - REENQUEUE_AFTER_MS);
    return this.db.run({ orgId: null, userId: null, system: true }, async (tx) => {
      const rows: OutboxRow[] = await tx.query(
        `SELECT id::text, org_id, kind, payload FROM outbox
          WHERE relayed_at IS NULL OR (processed_at IS NULL AND relayed_at < $2)
          ORDER BY outbox.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [opts.limit ?? 500, staleBefore],
      );
      if (rows.length === 0) return 0;
      await enqueue(rows);
      // A kind that becomes a job of its own is done with once relayed: its job keeps its own state (an export's row).
      await tx.query(
        `UPDATE outbox SET relayed_at = now(),
                processed_at = CASE WHEN kind = ANY ($2::text[]) THEN now() ELSE processed_at END
          WHERE id = ANY ($1::bigint[])`,
        [rows.map((r) => r.id), JOB_OUTBOX_KINDS],
      );
      return rows.length;
    });
  }

  /**
   * Relays again, at once, every row relayed before now and not processed: called when the worker sees Redis come
   * back, which may have lost the jobs. Rows whose job still exists cost an ignored add.
   */
  async relayUnprocessed(enqueue: (rows: OutboxRow[]) => Promise<void>): Promise<number> {
    const staleBefore = await this.db.now();
    let total = 0;
    for (;;) {
      const n = await this.relay(enqueue, { staleBefore });
      total += n;
      if (n === 0) return total;
    }
  }

  /**
   * The effect of one event (the job's data is the row: ids and its organization only), and the row marked
   * processed in the same transaction; the notifications it inserts are pushed live once it commits. A webhook
   * delivery keeps its own state (attempts, lease) on its row and is marked processed once it is settled; `attempt`
   * tells it whether the job has retries left.
   */
  async process(row: OutboxRow, attempt: DeliveryAttempt = { final: false }): Promise<string> {
    if (row.kind === 'webhook.deliver') {
      const outcome = await this.webhooks.deliver(String(row.payload.deliveryId), row.org_id, attempt);
      await this.markProcessed(row);
      return outcome;
    }
    const handler = (HANDLERS as Partial<Record<OutboxKind, OutboxHandler>>)[row.kind];
    if (!handler) throw new Error(`no handler for outbox event ${row.kind}`);
    await this.feed.run({ orgId: row.org_id, userId: null, system: true }, async (tx) => {
      await handler(tx, row);
      await tx.query('UPDATE outbox SET processed_at = now() WHERE id = $1 AND processed_at IS NULL', [row.id]);
    });
    return 'done';
  }

  private async markProcessed(row: OutboxRow): Promise<void> {
    await this.db.run({ orgId: row.org_id, userId: null, system: true }, (tx) =>
      tx.query('UPDATE outbox SET processed_at = now() WHERE id = $1 AND processed_at IS NULL', [row.id]),
    );
  }
}
