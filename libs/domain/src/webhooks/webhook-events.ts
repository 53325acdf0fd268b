import { randomUUID } from 'node:crypto';
import type { Tx } from '@tasuki/platform';
import { writeOutbox } from '../outbox/outbox.js';
import type { WebhookPayload } from './webhook.model.js';

export interface WebhookEvent {
  orgId: string;
  kind: string;
  subjectType: string | null;
  subjectId: string | null;
  /** Unique per organization: the same event recorded again (a job run twice) adds nothing. */
  eventKey: string;
}

/**
 * Records one event for the organization's webhook, in the caller's transaction (which acts for `orgId`): when the
 * organization has an active webhook, a PENDING delivery keyed by the event and the outbox row `webhook.deliver`
 * that makes the worker send it. Nothing when there is no active webhook, or the event was recorded before.
 */
export async function recordWebhookEvent(tx: Tx, e: WebhookEvent): Promise<string | null> {
  const id = randomUUID();
  const payload: WebhookPayload = {
    id,
    kind: e.kind,
    organizationId: e.orgId,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    occurredAt: new Date().toISOString(),
  };
  const inserted: { id: string }[] = await tx.query(
    `INSERT INTO webhook_deliveries (id, org_id, event_key, kind, payload)
     SELECT $1, w.org_id, $3, $4, $5 FROM webhooks w WHERE w.org_id = $2 AND w.active
     ON CONFLICT (org_id, event_key) DO NOTHING RETURNING id`,
    [id, e.orgId, e.eventKey, e.kind, JSON.stringify(payload)],
  );
  if (inserted.length === 0) return null;
  await writeOutbox(tx, [{ orgId: e.orgId, kind: 'webhook.deliver', payload: { deliveryId: id } }]);
  return id;
}
