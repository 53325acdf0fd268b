import type { Tx } from '@tasuki/platform';
import { ACTIVE_MEMBERSHIP } from '../members/member.model.js';
import { collectorOf } from './notification-feed.js';
import { recordWebhookEvent } from '../webhooks/webhook-events.js';

export interface NewNotification {
  orgId: string;
  userIds: readonly string[];
  /** What happened, e.g. REFERRAL_UNANSWERED (upper snake case). */
  kind: string;
  subjectType: string | null;
  subjectId: string | null;
  /** The Japanese text the user reads. No client's personal data: notifications name cases and organizations. */
  message: string;
  /**
   * Unique per user with the organization: a job run twice inserts nothing the second time. Also the event's key
   * for the organization's webhook: one delivery per event, however many users are told.
   */
  dedupeKey: string;
}

/** One notification to one user (notifyEach). */
export type OneNotification = Omit<NewNotification, 'orgId' | 'userIds'> & { userId: string };

/**
 * Notifies users of an organization, in the caller's transaction, once per (user, dedupe key): the effect a job
 * may repeat is harmless. The same transaction records the event for the organization's webhook when it has an
 * active one (one delivery per event, even when no user is there to be told: the event happened all the same).
 * The transaction must act for `orgId` (RLS) and be opened by `NotificationFeed.run`, which publishes the inserted
 * rows' ids for the live push once it commits. Returns the notification rows actually inserted.
 */
export async function notify(tx: Tx, n: NewNotification): Promise<{ id: string; user_id: string }[]> {
  collectorOf(tx); // refuses, before anything is written, a transaction NotificationFeed.run did not open
  await recordWebhookEvent(tx, {
    orgId: n.orgId,
    kind: n.kind,
    subjectType: n.subjectType,
    subjectId: n.subjectId,
    eventKey: n.dedupeKey,
  });
  const { orgId, userIds, ...rest } = n;
  return insertNotifications(
    tx,
    orgId,
    [...new Set(userIds)].map((userId) => ({ ...rest, userId })),
  );
}

/**
 * Several notifications of one organization in one statement, each once per (user, dedupe key), with one webhook
 * event per distinct dedupe key (the set-based reminder handlers' path).
 */
export async function notifyEach(
  tx: Tx,
  orgId: string,
  list: readonly OneNotification[],
): Promise<{ id: string; user_id: string }[]> {
  collectorOf(tx);
  const events = new Map(list.map((n) => [n.dedupeKey, n]));
  for (const e of events.values()) {
    await recordWebhookEvent(tx, {
      orgId,
      kind: e.kind,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      eventKey: e.dedupeKey,
    });
  }
  return insertNotifications(tx, orgId, list);
}

/** The INSERT; its rows are collected for the live push after the transaction commits (NotificationFeed.run). */
async function insertNotifications(
  tx: Tx,
  orgId: string,
  list: readonly OneNotification[],
): Promise<{ id: string; user_id: string }[]> {
  const added = collectorOf(tx);
  if (list.length === 0) return [];
  const rows: { id: string; user_id: string }[] = await tx.query(
    `INSERT INTO notifications (org_id, user_id, kind, subject_type, subject_id, message, dedupe_key)
     SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[])
     ON CONFLICT (org_id, user_id, dedupe_key) DO NOTHING
     RETURNING id, user_id`,
    [
      orgId,
      list.map((n) => n.userId),
      list.map((n) => n.kind),
      list.map((n) => n.subjectType),
      list.map((n) => n.subjectId),
      list.map((n) => n.message),
      list.map((n) => n.dedupeKey),
    ],
  );
  added.push(...rows.map((r) => ({ id: r.id, orgId, userId: r.user_id })));
  return rows;
}

/** The active coordinators of an organization (the transaction acts for it). */
export async function coordinatorsOf(tx: Tx, orgId: string): Promise<string[]> {
  const rows: { user_id: string }[] = await tx.query(
    `SELECT m.user_id FROM memberships m
      WHERE m.org_id = $1 AND 'COORDINATOR' = ANY (m.roles) AND ${ACTIVE_MEMBERSHIP('m')} ORDER BY m.user_id`,
    [orgId],
  );
  return rows.map((r) => r.user_id);
}

/** The current assignees of a case (the transaction acts for its organization). */
export async function assigneesOf(tx: Tx, orgId: string, caseId: string): Promise<string[]> {
  const rows: { user_id: string }[] = await tx.query(
    `SELECT user_id FROM case_assignments WHERE org_id = $1 AND case_id = $2 AND to_at IS NULL ORDER BY user_id`,
    [orgId, caseId],
  );
  return rows.map((r) => r.user_id);
}

/**
 * Makes the rest of the transaction act for another organization (set_config with is_local, reset at the end of
 * the transaction). For the worker only: one effect that touches two organizations (a reminder to a referral's
 * recipient, scheduled by its sender) stays one transaction, so it happens exactly once.
 */
export async function actFor(tx: Tx, orgId: string): Promise<void> {
  await tx.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
}
