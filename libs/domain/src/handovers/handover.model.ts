import type { ConditionColumns } from '@tasuki/platform';

export const HANDOVER_REASONS = ['ROTATION', 'TERM_END', 'RESIGNATION', 'CONTRACT_CHANGE', 'REASSIGNMENT'] as const;
export type HandoverReason = (typeof HANDOVER_REASONS)[number];
export const HANDOVER_REASON_LABELS: Record<HandoverReason, string> = {
  ROTATION: '人事異動',
  TERM_END: '任期満了',
  RESIGNATION: '退職',
  CONTRACT_CHANGE: '委託先変更',
  REASSIGNMENT: '担当替え',
};

export const HANDOVER_STATUSES = ['DRAFT', 'SUBMITTED', 'ACKNOWLEDGED', 'CANCELLED'] as const;
export type HandoverStatus = (typeof HANDOVER_STATUSES)[number];
export const HANDOVER_STATUS_LABELS: Record<HandoverStatus, string> = {
  DRAFT: '作成中',
  SUBMITTED: '提出済',
  ACKNOWLEDGED: '確認済',
  CANCELLED: '中止',
};

/** Why a handover needs the coordinators now (PRODUCT.md §3 Reminders; the worker sends the reminder). */
export const HANDOVER_OVERDUE_KINDS = ['NOT_SUBMITTED', 'NOT_ACKNOWLEDGED'] as const;
export type HandoverOverdue = (typeof HANDOVER_OVERDUE_KINDS)[number];
export const HANDOVER_OVERDUE_LABELS: Record<HandoverOverdue, string> = {
  NOT_SUBMITTED: '効力発生日までに提出されていません',
  NOT_ACKNOWLEDGED: '効力発生日から3日を過ぎても後任者が確認していません',
};
/** Days after the effective date an unacknowledged handover is escalated (calendar days, as PRODUCT.md says). */
export const ACKNOWLEDGE_GRACE_DAYS = 3;

export interface HandoverView {
  id: string;
  orgId: string;
  fromUserId: string;
  toUserId: string;
  reason: HandoverReason;
  effectiveOn: string;
  status: HandoverStatus;
  createdAt: Date;
  submittedAt: Date | null;
  overrideReason: string | null;
  acknowledgedAt: Date | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
  movedAt: Date | null;
  overdue: HandoverOverdue | null;
  caseIds: string[];
}

export interface HandoverRow {
  id: string;
  org_id: string;
  from_user_id: string;
  to_user_id: string;
  reason: HandoverReason;
  effective_on: string;
  status: HandoverStatus;
  created_at: Date;
  submitted_at: Date | null;
  override_reason: string | null;
  acknowledged_at: Date | null;
  cancelled_at: Date | null;
  cancel_reason: string | null;
  moved_at: Date | null;
  overdue: HandoverOverdue | null;
  case_ids: string[];
}

/** Today in Japan, as SQL. */
const TODAY = `(now() AT TIME ZONE 'Asia/Tokyo')::date`;

/** Whether a handover is overdue now, in SQL over the alias `h` (the escalation rule of PRODUCT.md §3). */
export const HANDOVER_OVERDUE_SQL = `CASE
    WHEN h.status = 'DRAFT' AND h.effective_on <= ${TODAY} THEN 'NOT_SUBMITTED'
    WHEN h.status = 'SUBMITTED' AND h.effective_on + ${ACKNOWLEDGE_GRACE_DAYS} < ${TODAY}
      THEN 'NOT_ACKNOWLEDGED'
  END`;

/** A handover with its cases in order; `h` is the handover. */
export const HANDOVER_SELECT = `
  SELECT h.id, h.org_id, h.from_user_id, h.to_user_id, h.reason, to_char(h.effective_on, 'YYYY-MM-DD') AS effective_on,
         h.status, h.created_at, h.submitted_at, h.override_reason, h.acknowledged_at, h.cancelled_at,
         h.cancel_reason, h.moved_at, ${HANDOVER_OVERDUE_SQL} AS overdue,
         ARRAY(SELECT hc.case_id FROM handover_cases hc WHERE hc.handover_id = h.id ORDER BY hc.position) AS case_ids
    FROM handovers h`;

export function toHandoverView(r: HandoverRow): HandoverView {
  return {
    id: r.id,
    orgId: r.org_id,
    fromUserId: r.from_user_id,
    toUserId: r.to_user_id,
    reason: r.reason,
    effectiveOn: r.effective_on,
    status: r.status,
    createdAt: r.created_at,
    submittedAt: r.submitted_at,
    overrideReason: r.override_reason,
    acknowledgedAt: r.acknowledged_at,
    cancelledAt: r.cancelled_at,
    cancelReason: r.cancel_reason,
    movedAt: r.moved_at,
    overdue: r.overdue,
    caseIds: r.case_ids,
  };
}

/** The CASL condition fields of a Handover, in SQL over the alias `h`. */
export const HANDOVER_CONDITIONS: ConditionColumns = {
  orgId: (p) => `h.org_id = ${p}::uuid`,
  fromUserId: (p) => `h.from_user_id = ${p}::uuid`,
  toUserId: (p) => `h.to_user_id = ${p}::uuid`,
  moved: (p) => `(h.moved_at IS NOT NULL) = ${p}::boolean`,
};

/** The CASL subject fields of a handover row, for in-memory checks. */
export function handoverSubject(r: Pick<HandoverRow, 'org_id' | 'from_user_id' | 'to_user_id' | 'moved_at'>) {
  return { orgId: r.org_id, fromUserId: r.from_user_id, toUserId: r.to_user_id, moved: r.moved_at !== null };
}

export interface HandoverAction {
  text: string;
  dueOn: string | null;
}

export interface HandoverNoteView {
  handoverId: string;
  caseId: string;
  version: number;
  situation: string | null;
  actions: HandoverAction[];
  cautions: string | null;
  keyContacts: string | null;
  clientInformedOn: string | null;
  writtenBy: string | null;
  writtenAt: Date | null;
}

export interface StartHandoverInput {
  fromUserId: string;
  toUserId: string;
  reason: string;
  effectiveOn: string;
  caseIds?: string[] | null;
}

/**
 * A note's fields as written. Omitted fields keep the previous version's value; null clears one. `nextActions`
 * (the contract's plain list) and `actions` (with due dates) are two ways to give the same list, not both at once.
 */
export interface HandoverNoteInput {
  situation?: string | null;
  nextActions?: string[] | null;
  actions?: { text: string; dueOn?: string | null }[] | null;
  cautions?: string | null;
  keyContacts?: string | null;
  clientInformedOn?: string | null;
}

export interface HandoverFilter {
  status?: HandoverStatus[] | null;
  fromUserId?: string | null;
  toUserId?: string | null;
  incoming?: boolean | null;
  effectiveFrom?: string | null;
  effectiveTo?: string | null;
  overdue?: boolean | null;
}

/** A membership whose term ends soon while its holder still has open cases no live handover covers. */
export interface TermEndingView {
  userId: string;
  termEndsOn: string;
  openCaseCount: number;
  uncoveredCaseCount: number;
}

export interface RotationView {
  withinDays: number;
  endingTerms: TermEndingView[];
  statusCounts: { status: HandoverStatus; count: number }[];
  overdueCount: number;
}
