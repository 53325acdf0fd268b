import { japanDate, type ConditionColumns } from '@tasuki/platform';
import { NEXT_FOLLOW_UP_SQL } from '../placements/placement.model.js';

export const CASE_STATUSES = ['OPEN', 'CLOSED'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const CASE_STATUS_LABELS: Record<CaseStatus, string> = { OPEN: '支援中', CLOSED: '終結' };

export const CASE_PHASES = [
  'INTAKE',
  'ASSESSMENT',
  'PREPARATION',
  'JOB_SEARCH',
  'PLACED',
  'RETENTION',
  'CLOSED',
] as const;
export type CasePhase = (typeof CASE_PHASES)[number];
export const CASE_PHASE_LABELS: Record<CasePhase, string> = {
  INTAKE: 'インテーク',
  ASSESSMENT: 'アセスメント',
  PREPARATION: '職業準備',
  JOB_SEARCH: '求職活動',
  PLACED: '就職',
  RETENTION: '定着支援',
  CLOSED: '終結',
};

export interface CaseView {
  id: string;
  orgId: string;
  clientId: string;
  status: CaseStatus;
  phase: CasePhase;
  openedAt: Date;
  closedAt: Date | null;
  closeReason: string | null;
  lastActivityAt: Date;
  openReferralCount: number;
  /** The earliest SCHEDULED follow-up's due date (overdue ones included), at 00:00 in Japan. */
  nextFollowUpAt: Date | null;
  /** The same due date as a calendar date. */
  nextFollowUpOn: string | null;
}

export interface CaseRow {
  id: string;
  org_id: string;
  client_id: string;
  status: CaseStatus;
  phase: CasePhase;
  opened_at: Date;
  closed_at: Date | null;
  close_reason: string | null;
  last_activity_at: Date;
  activity_key: string;
  open_referral_count: number;
  next_follow_up_at: Date | null;
}

export const OPEN_REFERRAL_STATUSES = `('SENT','RECEIVED','ACCEPTED')`;

/** A case with what the coordinator's list shows; `c` is the case. */
export const CASE_SELECT = caseSelect();

/** CASE_SELECT with further columns (SQL expressions over `c`, each with its alias). */
export function caseSelect(extra = ''): string {
  return `
  SELECT c.id, c.org_id, c.client_id, c.status, c.phase, c.opened_at, c.closed_at, c.close_reason,
         c.last_activity_at, c.last_activity_at::text AS activity_key,
         ((SELECT count(*) FROM referrals r
            WHERE r.org_id = c.org_id AND r.from_case_id = c.id AND r.status IN ${OPEN_REFERRAL_STATUSES})
        + (SELECT count(*) FROM referrals r
            WHERE r.to_org_id = c.org_id AND r.to_case_id = c.id AND r.status IN ${OPEN_REFERRAL_STATUSES}))::int
           AS open_referral_count,
         ${NEXT_FOLLOW_UP_SQL} AS next_follow_up_at${extra ? `, ${extra}` : ''}
    FROM cases c`;
}

export function toCaseView(r: CaseRow): CaseView {
  return {
    id: r.id,
    orgId: r.org_id,
    clientId: r.client_id,
    status: r.status,
    phase: r.phase,
    openedAt: r.opened_at,
    closedAt: r.closed_at,
    closeReason: r.close_reason,
    lastActivityAt: r.last_activity_at,
    openReferralCount: r.open_referral_count,
    nextFollowUpAt: r.next_follow_up_at,
    nextFollowUpOn: r.next_follow_up_at && japanDate(r.next_follow_up_at),
  };
}

/** The CASL condition fields of a Case, in SQL over the alias `c`. */
export const CASE_CONDITIONS: ConditionColumns = {
  orgId: (p) => `c.org_id = ${p}::uuid`,
  assigneeIds: (p) =>
    `EXISTS (SELECT 1 FROM case_assignments a
              WHERE a.org_id = c.org_id AND a.case_id = c.id AND a.user_id = ${p}::uuid AND a.to_at IS NULL)`,
  /** The successor of a live handover covering the case (PRODUCT.md: "the cases being handed over to them"). */
  handoverSuccessorIds: (p) =>
    `EXISTS (SELECT 1 FROM handover_cases hc JOIN handovers h ON h.id = hc.handover_id
              WHERE hc.org_id = c.org_id AND hc.case_id = c.id AND hc.live AND h.to_user_id = ${p}::uuid)`,
};

export interface AssignmentView {
  caseId: string;
  userId: string;
  from: Date;
  to: Date | null;
}

export interface CaseFilter {
  status?: CaseStatus | null;
  phase?: CasePhase | null;
  assigneeId?: string | null;
  unassigned?: boolean | null;
  staleDays?: number | null;
  hasOpenReferral?: boolean | null;
  consentExpiringWithinDays?: number | null;
}
