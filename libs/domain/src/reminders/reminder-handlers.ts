import { japanDate, type Tx } from '@tasuki/platform';
import { applyConsentEnd } from '../consents/consent-end.js';
import { CONSENT_STATUS_SQL } from '../consents/consent.model.js';
import type { HandoversService } from '../handovers/handovers.service.js';
import { ACTIVE_MEMBERSHIP } from '../members/member.model.js';
import {
  actFor,
  assigneesOf,
  coordinatorsOf,
  notify,
  notifyEach,
  type OneNotification,
} from '../notifications/notify.js';
import { FOLLOW_UP_MILESTONE_LABELS, type FollowUpMilestone } from '../placements/placement.model.js';
import { purgeExpiredExport } from '../reporting/export-job.js';
import { appendTimeline } from '../timeline/timeline.model.js';
import { addDays, type ReminderKind, type ReminderRow } from './reminder.model.js';

/** Days of silence after which an open case counts as stale in the coordinators' daily digest. */
export const STALE_AFTER_DAYS = 60;
/** How far ahead the daily scan looks for terms ending with open cases and no handover. */
export const TERM_WARNING_DAYS = 14;
/** A follow-up still SCHEDULED this many days after its date becomes MISSED. */
export const FOLLOW_UP_MISSED_AFTER_DAYS = 7;

export interface ReminderDeps {
  handovers: HandoversService;
}

/**
 * One reminder's effect, in the caller's transaction, which acts for the reminder's organization and holds its row
 * locked. Each handler first checks that the reminder still applies (a referral answered meanwhile, a consent
 * withdrawn, a handover submitted) and returns its outcome; every effect is keyed (`reminder-<id>` for
 * notifications), so the worst a repeated run can do is nothing.
 */
export type ReminderHandler = (tx: Tx, r: ReminderRow, deps: ReminderDeps) => Promise<string>;

const key = (r: ReminderRow) => `reminder-${r.id}`;
const md = (date: string) => `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;

async function referral(tx: Tx, r: ReminderRow) {
  const [row]: {
    id: string;
    org_id: string;
    to_org_id: string;
    status: string;
    from_case_id: string;
    created_by: string | null;
    respond_by: string | null;
    from_name: string;
    to_name: string;
  }[] = await tx.query(
    `SELECT r.id, r.org_id, r.to_org_id, r.status, r.from_case_id, r.created_by,
            to_char(r.respond_by, 'YYYY-MM-DD') AS respond_by, f.name AS from_name, t.name AS to_name
       FROM referrals r JOIN organizations f ON f.id = r.org_id JOIN organizations t ON t.id = r.to_org_id
      WHERE r.id = $1 AND r.org_id = $2`,
    [r.subject_id, r.org_id],
  );
  return row && (row.status === 'SENT' || row.status === 'RECEIVED') ? row : null;
}

/** The grant, locked, with the organization's case of its client (null when there is none). */
async function consent(tx: Tx, r: ReminderRow) {
  const [row]: {
    id: string;
    org_id: string;
    client_id: string;
    status: string;
    expires_at: Date | null;
    case_id: string | null;
  }[] = await tx.query(
    `SELECT g.id, g.org_id, g.client_id, ${CONSENT_STATUS_SQL} AS status, g.expires_at,
            (SELECT c.id FROM cases c WHERE c.org_id = g.org_id AND c.client_id = g.client_id) AS case_id
       FROM consent_grants g WHERE g.id = $1 AND g.org_id = $2 FOR UPDATE OF g`,
    [r.subject_id, r.org_id],
  );
  return row ?? null;
}

async function followUp(tx: Tx, r: ReminderRow) {
  const [row]: {
    id: string;
    case_id: string;
    client_id: string;
    milestone: FollowUpMilestone;
    due_on: string;
    status: string;
  }[] = await tx.query(
    `SELECT f.id, f.case_id, c.client_id, f.milestone, to_char(f.due_on, 'YYYY-MM-DD') AS due_on, f.status
       FROM follow_ups f JOIN cases c ON c.id = f.case_id
      WHERE f.id = $1 AND f.org_id = $2 FOR UPDATE OF f`,
    [r.subject_id, r.org_id],
  );
  return row && row.status === 'SCHEDULED' ? row : null;
}

async function handover(tx: Tx, r: ReminderRow) {
  const [row]: {
    id: string;
    status: string;
    effective_on: string;
    escalated_unsubmitted_at: Date | null;
    escalated_unacknowledged_at: Date | null;
  }[] = await tx.query(
    `SELECT id, status, to_char(effective_on, 'YYYY-MM-DD') AS effective_on, escalated_unsubmitted_at,
            escalated_unacknowledged_at
       FROM handovers WHERE id = $1 AND org_id = $2 FOR UPDATE`,
    [r.subject_id, r.org_id],
  );
  return row ?? null;
}

export const REMINDER_HANDLERS: Record<ReminderKind, ReminderHandler> = {
  /** Not answered by its respond-by date: remind the recipient's coordinators. */
  async REFERRAL_UNANSWERED(tx, r) {
    const ref = await referral(tx, r);
    if (!ref) return 'answered';
    await actFor(tx, ref.to_org_id);
    await notify(tx, {
      orgId: ref.to_org_id,
      userIds: await coordinatorsOf(tx, ref.to_org_id),
      kind: 'REFERRAL_UNANSWERED',
      subjectType: 'Referral',
      subjectId: ref.id,
      message: `${ref.from_name}からの紹介が回答期限（${ref.respond_by ? md(ref.respond_by) : '—'}）を過ぎています。受理または辞退してください。`,
      dedupeKey: key(r),
    });
    await actFor(tx, r.org_id);
    return 'recipient notified';
  },

  /** Two days later still unanswered: tell the sender (the referral's author and the case's assignees). */
  async REFERRAL_UNANSWERED_SENDER(tx, r) {
    const ref = await referral(tx, r);
    if (!ref) return 'answered';
    const users = await assigneesOf(tx, r.org_id, ref.from_case_id);
    await notify(tx, {
      orgId: r.org_id,
      userIds: ref.created_by ? [...users, ref.created_by] : users,
      kind: 'REFERRAL_UNANSWERED_SENDER',
      subjectType: 'Referral',
      subjectId: ref.id,
      message: `${ref.to_name}への紹介に、回答期限（${ref.respond_by ? md(ref.respond_by) : '—'}）を過ぎても回答がありません。`,
      dedupeKey: key(r),
    });
    return 'sender notified';
  },

  /** Expiring within 30 days: remind the assignees of the organization's case. */
  async CONSENT_EXPIRING(tx, r) {
    const g = await consent(tx, r);
    if (!g || g.status !== 'ACTIVE' || !g.expires_at) return 'not active';
    if (!g.case_id) return 'no case';
    await notify(tx, {
      orgId: r.org_id,
      userIds: await assigneesOf(tx, r.org_id, g.case_id),
      kind: 'CONSENT_EXPIRING',
      subjectType: 'Case',
      subjectId: g.case_id,
      message: `同意の有効期限（${md(japanDate(g.expires_at))}）が近づいています。更新の要否を本人に確認してください。`,
      dedupeKey: key(r),
    });
    return 'assignees notified';
  },

  /** At expiry: apply it as a withdrawal is applied (referrals waiting on it cancelled, timelines told). */
  async CONSENT_EXPIRED(tx, r) {
    const g = await consent(tx, r);
    if (!g || g.status !== 'EXPIRED') return g?.status === 'WITHDRAWN' ? 'withdrawn' : 'not expired';
    const ownCase = g.case_id ? { id: g.case_id } : null;
    const cancelled = await applyConsentEnd(tx, g, ownCase, { how: 'EXPIRED', reason: null, userId: null });
    if (ownCase) {
      await notify(tx, {
        orgId: r.org_id,
        userIds: await assigneesOf(tx, r.org_id, ownCase.id),
        kind: 'CONSENT_EXPIRED',
        subjectType: 'Case',
        subjectId: ownCase.id,
        message: cancelled.length
          ? `同意の有効期限が切れました。この同意による回答待ちの紹介${cancelled.length}件を取り消しました。`
          : '同意の有効期限が切れました。',
        dedupeKey: key(r),
      });
    }
    return `applied; ${cancelled.length} referral(s) cancelled`;
  },

  /** The follow-up's day: remind the case's assignees. */
  async FOLLOW_UP_DUE(tx, r) {
    return (await followUpsDue(tx, [r])).get(r.id)!;
  },

  /** Seven days overdue: the follow-up becomes MISSED and the coordinators are told. */
  async FOLLOW_UP_MISSED(tx, r) {
    const f = await followUp(tx, r);
    if (!f) return 'not scheduled';
    await tx.query(`UPDATE follow_ups SET status = 'MISSED', status_changed_at = now() WHERE id = $1`, [f.id]);
    const label = FOLLOW_UP_MILESTONE_LABELS[f.milestone];
    await appendTimeline(tx, [
      {
        orgId: r.org_id,
        clientId: f.client_id,
        caseId: f.case_id,
        kind: 'FOLLOW_UP',
        summary: `定着支援フォローアップ（${label}）が予定日から${FOLLOW_UP_MISSED_AFTER_DAYS}日を過ぎても実施されず、未実施になりました`,
        authorUserId: null,
        authorOrgId: r.org_id,
      },
    ]);
    await notify(tx, {
      orgId: r.org_id,
      userIds: await coordinatorsOf(tx, r.org_id),
      kind: 'FOLLOW_UP_MISSED',
      subjectType: 'Case',
      subjectId: f.case_id,
      message: `定着支援フォローアップ（${label}、予定日${md(f.due_on)}）が実施されないまま${FOLLOW_UP_MISSED_AFTER_DAYS}日が過ぎました。`,
      dedupeKey: key(r),
    });
    return 'missed';
  },

  /** Not submitted on its effective date: escalate to the coordinators, once. */
  async HANDOVER_NOT_SUBMITTED(tx, r) {
    const h = await handover(tx, r);
    if (!h || h.status !== 'DRAFT' || h.escalated_unsubmitted_at) return 'not applicable';
    await tx.query('UPDATE handovers SET escalated_unsubmitted_at = now() WHERE id = $1', [h.id]);
    await notify(tx, {
      orgId: r.org_id,
      userIds: await coordinatorsOf(tx, r.org_id),
      kind: 'HANDOVER_NOT_SUBMITTED',
      subjectType: 'Handover',
      subjectId: h.id,
      message: `効力発生日（${md(h.effective_on)}）を迎えた引継ぎが、まだ提出されていません。`,
      dedupeKey: key(r),
    });
    return 'escalated';
  },

  /** Not acknowledged three days after its effective date: escalate to the coordinators, once. */
  async HANDOVER_NOT_ACKNOWLEDGED(tx, r) {
    const h = await handover(tx, r);
    if (!h || !['DRAFT', 'SUBMITTED'].includes(h.status) || h.escalated_unacknowledged_at) return 'not applicable';
    await tx.query('UPDATE handovers SET escalated_unacknowledged_at = now() WHERE id = $1', [h.id]);
    await notify(tx, {
      orgId: r.org_id,
      userIds: await coordinatorsOf(tx, r.org_id),
      kind: 'HANDOVER_NOT_ACKNOWLEDGED',
      subjectType: 'Handover',
      subjectId: h.id,
      message: `効力発生日（${md(h.effective_on)}）から3日を過ぎても、後任者が引継ぎを確認していません。`,
      dedupeKey: key(r),
    });
    return 'escalated';
  },

  /** The effective date: the assignments move, whatever the status. */
  async HANDOVER_MOVE(tx, r, deps) {
    return (await deps.handovers.moveIfDue(tx, r.org_id, r.subject_id, japanDate(r.due_at), true))
      ? 'moved'
      : 'not applicable';
  },

  /** The daily scan: memberships whose term ends within 14 days with assigned open cases and no handover. */
  async TERMS_ENDING(tx, r) {
    const today = japanDate(r.due_at);
    const ending: { membership_id: string; term_ends_on: string; uncovered: number }[] = await tx.query(
      `SELECT m.id AS membership_id, to_char(m.term_ends_on, 'YYYY-MM-DD') AS term_ends_on, count(c.id)::int AS uncovered
         FROM memberships m
         JOIN case_assignments a ON a.org_id = m.org_id AND a.user_id = m.user_id AND a.to_at IS NULL
         JOIN cases c ON c.id = a.case_id AND c.org_id = m.org_id AND c.status = 'OPEN'
        WHERE m.org_id = $1 AND ${ACTIVE_MEMBERSHIP('m')} AND m.term_ends_on <= $2::date
          AND NOT EXISTS (SELECT 1 FROM handover_cases hc WHERE hc.org_id = c.org_id AND hc.case_id = c.id AND hc.live)
        GROUP BY m.id, m.term_ends_on ORDER BY m.term_ends_on, m.id`,
      [r.org_id, addDays(today, TERM_WARNING_DAYS)],
    );
    const coordinators = await coordinatorsOf(tx, r.org_id);
    for (const m of ending) {
      await notify(tx, {
        orgId: r.org_id,
        userIds: coordinators,
        kind: 'TERMS_ENDING',
        subjectType: 'Membership',
        subjectId: m.membership_id,
        message: `任期満了日（${md(m.term_ends_on)}）が近い職員に、引継ぎの始まっていない担当ケースが${m.uncovered}件あります。`,
        // Once per membership and term end, not every day.
        dedupeKey: `terms-ending-${m.membership_id}-${m.term_ends_on}`,
      });
    }
    return `${ending.length} membership(s)`;
  },

  /** The daily digest: open cases without a timeline entry for 60 days. */
  async STALE_CASES(tx, r) {
    const [{ n }]: { n: number }[] = await tx.query(
      `SELECT count(*)::int AS n FROM cases c WHERE c.org_id = $1 AND c.status = 'OPEN'
          AND c.last_activity_at < $2::timestamptz - make_interval(days => $3)`,
      [r.org_id, r.due_at.toISOString(), STALE_AFTER_DAYS],
    );
    if (n === 0) return 'none stale';
    await notify(tx, {
      orgId: r.org_id,
      userIds: await coordinatorsOf(tx, r.org_id),
      kind: 'STALE_CASES',
      subjectType: 'Organization',
      subjectId: r.org_id,
      message: `${STALE_AFTER_DAYS}日以上記録のない支援中のケースが${n}件あります。`,
      dedupeKey: key(r),
    });
    return `${n} stale`;
  },

  /** An anonymized export expired (an hour ago): its rows and aggregate tables are deleted. */
  EXPORT_EXPIRED: (tx, r) => purgeExpiredExport(tx, r.org_id, r.subject_id),
};

/**
 * A batch's reminders of one kind handled together, in a few statements for the whole batch (the drain of many
 * due reminders is bounded by statements, PostgreSQL's CPU): the same checks, effects and keys as the kind's
 * handler, which is this with one reminder. Returns each reminder's outcome.
 */
export type ReminderBatchHandler = (tx: Tx, rows: readonly ReminderRow[]) => Promise<Map<string, string>>;

/** FOLLOW_UP_DUE for many: the follow-ups locked (in id order), the assignees of their cases, one insert. */
const followUpsDue: ReminderBatchHandler = async (tx, rows) => {
  const orgId = rows[0]!.org_id;
  const due: { id: string; case_id: string; milestone: FollowUpMilestone; due_on: string }[] = await tx.query(
    `SELECT f.id, f.case_id, f.milestone, to_char(f.due_on, 'YYYY-MM-DD') AS due_on FROM follow_ups f
      WHERE f.id = ANY ($1::uuid[]) AND f.org_id = $2 AND f.status = 'SCHEDULED' ORDER BY f.id FOR UPDATE`,
    [rows.map((r) => r.subject_id), orgId],
  );
  const assignees: { case_id: string; user_id: string }[] = await tx.query(
    `SELECT case_id, user_id FROM case_assignments WHERE org_id = $1 AND case_id = ANY ($2::uuid[]) AND to_at IS NULL
      ORDER BY case_id, user_id`,
    [orgId, [...new Set(due.map((f) => f.case_id))]],
  );
  const byId = new Map(due.map((f) => [f.id, f]));
  const outcomes = new Map<string, string>();
  const list: OneNotification[] = [];
  for (const r of rows) {
    const f = byId.get(r.subject_id);
    outcomes.set(r.id, f ? 'assignees notified' : 'not scheduled');
    if (!f) continue;
    for (const a of assignees) {
      if (a.case_id !== f.case_id) continue;
      list.push({
        userId: a.user_id,
        kind: 'FOLLOW_UP_DUE',
        subjectType: 'Case',
        subjectId: f.case_id,
        message: `就職後の定着支援フォローアップ（${FOLLOW_UP_MILESTONE_LABELS[f.milestone]}）の予定日（${md(f.due_on)}）です。`,
        dedupeKey: key(r),
      });
    }
  }
  await notifyEach(tx, orgId, list);
  return outcomes;
};

export const REMINDER_BATCH_HANDLERS: Partial<Record<ReminderKind, ReminderBatchHandler>> = {
  FOLLOW_UP_DUE: followUpsDue,
};
