import type { ConditionColumns } from '@tasuki/platform';
import type { DataCategory } from '../clients/client.model.js';

export const REFERRAL_STATUSES = [
  'DRAFT',
  'SENT',
  'RECEIVED',
  'ACCEPTED',
  'DECLINED',
  'CANCELLED',
  'COMPLETED',
  'FAILED',
] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];
export const REFERRAL_STATUS_LABELS: Record<ReferralStatus, string> = {
  DRAFT: '下書き',
  SENT: '送付済み',
  RECEIVED: '開封済み',
  ACCEPTED: '受理',
  DECLINED: '辞退',
  CANCELLED: '取消',
  COMPLETED: '完了',
  FAILED: '不成立',
};

export const REFERRAL_REASONS = [
  'ASSESSMENT',
  'JOB_PLACEMENT',
  'JOB_COACH',
  'LIFE_SUPPORT',
  'MEDICAL',
  'RETENTION',
  'BALANCE_SUPPORT',
  'PEER_SUPPORT',
  'OTHER',
] as const;
export type ReferralReason = (typeof REFERRAL_REASONS)[number];
export const REFERRAL_REASON_LABELS: Record<ReferralReason, string> = {
  ASSESSMENT: '職業評価',
  JOB_PLACEMENT: '職業紹介',
  JOB_COACH: 'ジョブコーチ支援',
  LIFE_SUPPORT: '生活支援',
  MEDICAL: '医療',
  RETENTION: '定着支援',
  BALANCE_SUPPORT: '両立支援',
  PEER_SUPPORT: 'ピアサポート',
  OTHER: 'その他',
};

export const DECLINE_CODES = [
  'NO_CAPACITY',
  'OUT_OF_AREA',
  'NOT_ELIGIBLE',
  'CLIENT_UNREACHABLE',
  'DUPLICATE',
  'OTHER',
] as const;
export type DeclineCode = (typeof DECLINE_CODES)[number];
export const DECLINE_CODE_LABELS: Record<DeclineCode, string> = {
  NO_CAPACITY: '受入枠なし',
  OUT_OF_AREA: '対象地域外',
  NOT_ELIGIBLE: '対象外',
  CLIENT_UNREACHABLE: '本人と連絡がとれない',
  DUPLICATE: '重複',
  OTHER: 'その他',
};

export const URGENCIES = ['NORMAL', 'URGENT'] as const;
export type Urgency = (typeof URGENCIES)[number];
export const URGENCY_LABELS: Record<Urgency, string> = { NORMAL: '通常', URGENT: '至急' };

export type ReferralDirection = 'INCOMING' | 'OUTGOING';
export const REFERRAL_DIRECTION_LABELS: Record<ReferralDirection, string> = {
  INCOMING: '受けた紹介',
  OUTGOING: '送った紹介',
};

/** The statuses each status may move to (PRODUCT.md §2, after FHIR Task); terminal statuses move nowhere. */
export const REFERRAL_TRANSITIONS: Record<ReferralStatus, readonly ReferralStatus[]> = {
  DRAFT: ['SENT', 'CANCELLED'],
  SENT: ['RECEIVED', 'ACCEPTED', 'DECLINED', 'CANCELLED'],
  RECEIVED: ['ACCEPTED', 'DECLINED', 'CANCELLED'],
  ACCEPTED: ['COMPLETED', 'FAILED', 'CANCELLED'],
  DECLINED: [],
  CANCELLED: [],
  COMPLETED: [],
  FAILED: [],
};

/** statusReason of referrals the system cancelled because the grant they relied on was withdrawn. */
export const CONSENT_WITHDRAWN = 'CONSENT_WITHDRAWN';

export interface ReferralRow {
  id: string;
  org_id: string;
  to_org_id: string;
  client_id: string;
  from_case_id: string;
  to_case_id: string | null;
  consent_id: string;
  previous_referral_id: string | null;
  reason: ReferralReason;
  urgency: Urgency;
  message: string | null;
  shared_categories: DataCategory[];
  status: ReferralStatus;
  status_reason: string | null;
  decline_code: DeclineCode | null;
  outcome: string | null;
  sent_at: Date | null;
  respond_by: string | null;
  received_at: Date | null;
  responded_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
  created_key: string;
}

export const REFERRAL_COLUMNS = `r.id, r.org_id, r.to_org_id, r.client_id, r.from_case_id, r.to_case_id, r.consent_id,
  r.previous_referral_id, r.reason, r.urgency, r.message, r.shared_categories, r.status, r.status_reason,
  r.decline_code, r.outcome, r.sent_at, to_char(r.respond_by, 'YYYY-MM-DD') AS respond_by, r.received_at,
  r.responded_at, r.closed_at, r.created_at, r.created_at::text AS created_key`;

export interface ReferralView {
  id: string;
  fromOrgId: string;
  toOrgId: string;
  clientId: string;
  /** The sender's case: null for the recipient. */
  fromCaseId: string | null;
  /** The recipient's case once accepted: null for the sender. */
  toCaseId: string | null;
  consentId: string;
  previousReferralId: string | null;
  reason: ReferralReason;
  urgency: Urgency;
  message: string | null;
  sharedCategories: DataCategory[];
  status: ReferralStatus;
  statusReason: string | null;
  declineCode: DeclineCode | null;
  outcome: string | null;
  sentAt: Date | null;
  respondBy: string | null;
  receivedAt: Date | null;
  respondedAt: Date | null;
  closedAt: Date | null;
  direction: ReferralDirection;
}

export function toReferralView(r: ReferralRow, actingOrgId: string | null): ReferralView {
  const outgoing = r.org_id === actingOrgId;
  return {
    id: r.id,
    fromOrgId: r.org_id,
    toOrgId: r.to_org_id,
    clientId: r.client_id,
    fromCaseId: outgoing ? r.from_case_id : null,
    toCaseId: outgoing ? null : r.to_case_id,
    consentId: r.consent_id,
    previousReferralId: r.previous_referral_id,
    reason: r.reason,
    urgency: r.urgency,
    message: r.message,
    sharedCategories: r.shared_categories,
    status: r.status,
    statusReason: r.status_reason,
    declineCode: r.decline_code,
    outcome: r.outcome,
    sentAt: r.sent_at,
    respondBy: r.respond_by,
    receivedAt: r.received_at,
    respondedAt: r.responded_at,
    closedAt: r.closed_at,
    direction: outgoing ? 'OUTGOING' : 'INCOMING',
  };
}

/** The CASL condition fields of a Referral, in SQL over the alias `r`. */
export const REFERRAL_CONDITIONS: ConditionColumns = {
  orgId: (p) => `r.org_id = ${p}::uuid`,
  toOrgId: (p) => `r.to_org_id = ${p}::uuid`,
  fromCaseAssigneeIds: (p) =>
    `EXISTS (SELECT 1 FROM case_assignments a WHERE a.org_id = r.org_id AND a.case_id = r.from_case_id
              AND a.user_id = ${p}::uuid AND a.to_at IS NULL)`,
  toCaseAssigneeIds: (p) =>
    `EXISTS (SELECT 1 FROM case_assignments a WHERE a.org_id = r.to_org_id AND a.case_id = r.to_case_id
              AND a.user_id = ${p}::uuid AND a.to_at IS NULL)`,
};

export interface ReferralTransitionView {
  referralId: string;
  fromStatus: ReferralStatus | null;
  toStatus: ReferralStatus;
  at: Date;
  actorOrgId: string | null;
  actorUserId: string | null;
  reason: string | null;
  code: string | null;
}

export interface SendReferralInput {
  caseId: string;
  toOrganizationId: string;
  reason: ReferralReason;
  message?: string | null;
  sharedCategories: DataCategory[];
  respondBy?: string | null;
  urgency?: Urgency | null;
  previousReferralId?: string | null;
}
