import type { Tx } from '@tasuki/platform';

/** The reminders of PRODUCT.md §3, each swept at its due time by the worker and handled exactly once. */
export const REMINDER_KINDS = [
  'REFERRAL_UNANSWERED',
  'REFERRAL_UNANSWERED_SENDER',
  'CONSENT_EXPIRING',
  'CONSENT_EXPIRED',
  'FOLLOW_UP_DUE',
  'FOLLOW_UP_MISSED',
  'HANDOVER_NOT_SUBMITTED',
  'HANDOVER_NOT_ACKNOWLEDGED',
  'HANDOVER_MOVE',
  'TERMS_ENDING',
  'STALE_CASES',
  'EXPORT_EXPIRED',
] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];

export interface ReminderRow {
  id: string;
  org_id: string;
  kind: ReminderKind;
  subject_id: string;
  due_at: Date;
  status: 'PENDING' | 'ENQUEUED' | 'DONE' | 'CANCELLED';
}

export interface NewReminder {
  orgId: string;
  kind: ReminderKind;
  subjectId: string;
  dueAt: Date;
}

/** A time of a Japanese calendar day (JST has no daylight saving): `jstAt('2027-04-01', 9)` is 09:00 in Japan. */
export function jstAt(date: string, hour = 0): Date {
  return new Date(`${date}T${String(hour).padStart(2, '0')}:00:00+09:00`);
}

/** The day `days` after `date` (YYYY-MM-DD, calendar days). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Schedules reminders in the caller's transaction; the same reminder twice is one row. */
export async function scheduleReminders(tx: Tx, reminders: readonly NewReminder[]): Promise<void> {
  if (reminders.length === 0) return;
  await tx.query(
    `INSERT INTO reminders (org_id, kind, subject_id, due_at)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::timestamptz[])
     ON CONFLICT (org_id, kind, subject_id, due_at) DO NOTHING`,
    [
      reminders.map((r) => r.orgId),
      reminders.map((r) => r.kind),
      reminders.map((r) => r.subjectId),
      reminders.map((r) => r.dueAt.toISOString()),
    ],
  );
}
