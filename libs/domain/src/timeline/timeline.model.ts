import { randomUUID } from 'node:crypto';
import type { Tx } from '@tasuki/platform';

/** Kinds a supporter writes; every other kind is written by the system as a consequence of an operation. */
export const USER_TIMELINE_KINDS = ['INTAKE', 'CONSULTATION', 'NOTE', 'CORRECTION'] as const;
export const TIMELINE_KINDS = [
  ...USER_TIMELINE_KINDS,
  'REFERRAL_SENT',
  'REFERRAL_RECEIVED',
  'REFERRAL_ACCEPTED',
  'REFERRAL_DECLINED',
  'REFERRAL_CANCELLED',
  'REFERRAL_COMPLETED',
  'REFERRAL_FAILED',
  'CONSENT_GRANTED',
  'CONSENT_WITHDRAWN',
  'CONSENT_EXPIRED',
  'HANDOVER',
  'ASSIGNMENT',
  'PLACEMENT',
  'FOLLOW_UP',
  'CASE_CLOSED',
  'CASE_REOPENED',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];
export type UserTimelineKind = (typeof USER_TIMELINE_KINDS)[number];

export interface TimelineEntryView {
  id: string;
  orgId: string;
  clientId: string;
  caseId: string | null;
  kind: TimelineKind;
  occurredAt: Date;
  recordedAt: Date;
  authorUserId: string | null;
  authorOrgId: string;
  summary: string;
  body: string | null;
  correctsEntryId: string | null;
  referralId: string | null;
}

export interface TimelineRow {
  id: string;
  org_id: string;
  client_id: string;
  case_id: string | null;
  kind: TimelineKind;
  occurred_at: Date;
  occurred_key: string;
  recorded_at: Date;
  author_user_id: string | null;
  author_org_id: string;
  summary: string;
  body: string | null;
  corrects_entry_id: string | null;
  referral_id: string | null;
}

export const TIMELINE_COLUMNS = `t.id, t.org_id, t.client_id, t.case_id, t.kind, t.occurred_at,
  t.occurred_at::text AS occurred_key, t.recorded_at, t.author_user_id, t.author_org_id, t.summary, t.body,
  t.corrects_entry_id, t.referral_id`;

export function toTimelineEntry(r: TimelineRow): TimelineEntryView {
  return {
    id: r.id,
    orgId: r.org_id,
    clientId: r.client_id,
    caseId: r.case_id,
    kind: r.kind,
    occurredAt: r.occurred_at,
    recordedAt: r.recorded_at,
    authorUserId: r.author_user_id,
    authorOrgId: r.author_org_id,
    summary: r.summary,
    body: r.body,
    correctsEntryId: r.corrects_entry_id,
    referralId: r.referral_id,
  };
}

export interface NewTimelineEntry {
  /** The organization whose timeline this is (another one only for an entry about a referral between the two). */
  orgId: string;
  clientId: string;
  caseId: string | null;
  kind: TimelineKind;
  summary: string;
  body?: string | null;
  occurredAt?: Date;
  authorUserId: string | null;
  authorOrgId: string;
  referralId?: string | null;
  correctsEntryId?: string | null;
}

/**
 * Appends entries in one statement and moves each own case's last activity forward; returns the entries of the
 * writer's own timeline. (A case of another
 * organization is not visible to the writer's RLS, so its activity is that organization's own business.)
 */
export async function appendTimeline(tx: Tx, entries: readonly NewTimelineEntry[]): Promise<TimelineEntryView[]> {
  if (entries.length === 0) return [];
  const col = <K extends keyof NewTimelineEntry>(k: K, dflt: unknown = null) => entries.map((e) => e[k] ?? dflt);
  const now = new Date();
  const ids = entries.map(() => randomUUID());
  // No RETURNING: an entry written into the other party's timeline is not readable by the writer, and RETURNING
  // would apply the SELECT policy to it.
  await tx.query(
    `INSERT INTO timeline_entries (id, org_id, client_id, case_id, kind, occurred_at, author_user_id, author_org_id,
       summary, body, referral_id, corrects_entry_id)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::uuid[],
       $8::uuid[], $9::text[], $10::text[], $11::uuid[], $12::uuid[])`,
    [
      ids,
      col('orgId'),
      col('clientId'),
      col('caseId'),
      col('kind'),
      col('occurredAt', now),
      col('authorUserId'),
      col('authorOrgId'),
      col('summary'),
      col('body'),
      col('referralId'),
      col('correctsEntryId'),
    ],
  );
  const rows: TimelineRow[] = await tx.query(
    `SELECT ${TIMELINE_COLUMNS} FROM timeline_entries t WHERE t.id = ANY ($1::uuid[]) AND t.org_id = app_org_id()`,
    [ids],
  );
  await tx.query(
    `UPDATE cases c SET last_activity_at = greatest(c.last_activity_at, x.at), updated_at = now()
       FROM (SELECT case_id, max(occurred_at) AS at FROM unnest($1::uuid[], $2::timestamptz[]) AS u(case_id, occurred_at)
              WHERE case_id IS NOT NULL GROUP BY case_id) x
      WHERE c.id = x.case_id AND c.org_id = app_org_id()`,
    [col('caseId'), col('occurredAt', now)],
  );
  return rows.map(toTimelineEntry);
}
