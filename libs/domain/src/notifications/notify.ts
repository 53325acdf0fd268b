import type { Tx } from '@tasuki/platform';
import { ACTIVE_MEMBERSHIP } from '../members/member.model.js';

export interface NewNotification {
  orgId: string;
  userIds: readonly string[];
  /** What happened, e.g. REFERRAL_UNANSWERED (upper snake case). */
  kind: string;
  subjectType: string | null;
  subjectId: string | null;
  /** The Japanese text the user reads. No client's personal data: notifications name cases and organizations. */
  message: string;
  /** Unique per user with the organization: a job run twice inserts nothing the second time. */
  dedupeKey: string;
}

/** One notification to one user (notifyEach). */
export type OneNotification = Omit<NewNotification, 'orgId' | 'userIds'> & { userId: string };

/**
 * Notifies users of an organization, in the caller's transaction, once per (user, dedupe key): the effect a job
 * may repeat is harmless. The transaction must act for `orgId` (RLS). Returns the rows actually inserted.
 */
export async function notify(tx: Tx, n: NewNotification): Promise<{ id: string; user_id: string }[]> {
  const { orgId, userIds, ...rest } = n;
  return notifyEach(
    tx,
    orgId,
    [...new Set(userIds)].map((userId) => ({ ...rest, userId })),
  );
}

/** Several notifications of one organization in one statement, each once per (user, dedupe key). */
export async function notifyEach(
  tx: Tx,
  orgId: string,
  list: readonly OneNotification[],
): Promise<{ id: string; user_id: string }[]> {
  if (list.length === 0) return [];
  return tx.query(
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
