import type { Tx } from '@tasuki/platform';

/**
 * What must happen after a change, written in the change's own transaction (never a Redis call on the request
 * path: the change commits even while Redis is down). The worker relays each row to BullMQ as the job
 * `outbox-<id>`. Payloads carry ids and organizations only, never personal data.
 */
export interface OutboxEvent {
  /** The organization whose transaction writes the row (RLS: the acting organization). */
  orgId: string;
  kind: OutboxKind;
  payload: Record<string, string | number | boolean | null>;
}

/**
 * `webhook.deliver` {deliveryId}: one attempt per job run to send a webhook delivery (outside any transaction);
 * `report.export` {exportId}: the anonymized export, run on the `reports` queue.
 */
export const OUTBOX_KINDS = ['referral.sent', 'handover.submitted', 'webhook.deliver', 'report.export'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];
/**
 * Kinds the relay turns into a job of their own rather than an effect on the `effects` queue: `report.export` (the
 * anonymized export, long and memory-heavy) becomes the `reports` queue's job `report-export-<export id>`.
 */
export const JOB_OUTBOX_KINDS = ['report.export'] as const satisfies readonly OutboxKind[];
export type JobOutboxKind = (typeof JOB_OUTBOX_KINDS)[number];
export const isJobOutboxKind = (kind: OutboxKind): kind is JobOutboxKind =>
  (JOB_OUTBOX_KINDS as readonly string[]).includes(kind);

export async function writeOutbox(tx: Tx, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `INSERT INTO outbox (org_id, kind, payload) SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])`,
    [events.map((e) => e.orgId), events.map((e) => e.kind), events.map((e) => JSON.stringify(e.payload))],
  );
}

export interface OutboxRow {
  id: string;
  org_id: string;
  kind: OutboxKind;
  payload: Record<string, string | number | boolean | null>;
}
