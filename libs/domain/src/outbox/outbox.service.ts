import { Injectable } from '@nestjs/common';
import { Database } from '@tasuki/platform';
import { actFor, coordinatorsOf, notify } from '../notifications/notify.js';
import type { JobOutboxKind, OutboxKind, OutboxRow } from './outbox.js';

/** An outbox event's effect, in a transaction acting for the row's organization. Keyed: a rerun does nothing. */
type OutboxHandler = (tx: import('@tasuki/platform').Tx, row: OutboxRow) => Promise<void>;

const HANDLERS: Record<Exclude<OutboxKind, JobOutboxKind>, OutboxHandler> = {
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
  constructor(private readonly db: Database) {}

  /**
   * Claims up to `limit` unrelayed rows, hands them to `enqueue` inside the transaction and marks them relayed. If
   * `enqueue` throws (Redis down), nothing is marked and the rows wait for the next pass.
   */
  async relay(enqueue: (rows: OutboxRow[]) => Promise<void>, limit = 500): Promise<number> {
    return this.db.run({ orgId: null, userId: null, system: true }, async (tx) => {
      const rows: OutboxRow[] = await tx.query(
        `SELECT id::text, org_id, kind, payload FROM outbox WHERE relayed_at IS NULL ORDER BY id LIMIT $1
           FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      await enqueue(rows);
      await tx.query('UPDATE outbox SET relayed_at = now() WHERE id = ANY ($1::bigint[])', [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  /** The effect of one event (the job's data is the row: ids and its organization only). */
  async process(row: OutboxRow): Promise<void> {
    const handler = (HANDLERS as Partial<Record<OutboxKind, OutboxHandler>>)[row.kind];
    if (!handler) throw new Error(`no handler for outbox event ${row.kind}`);
    await this.db.run({ orgId: row.org_id, userId: null, system: true }, (tx) => handler(tx, row));
  }
}
