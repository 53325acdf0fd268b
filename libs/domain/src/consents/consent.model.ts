import type { DataCategory } from '../clients/client.model.js';

export const CONSENT_PURPOSES = [
  'REFERRAL',
  'INFO_SHARING',
  'CASE_CONFERENCE',
  'EMPLOYER_DISCLOSURE',
  'CASE_PRESENTATION',
  'STATISTICS',
] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];
export const CONSENT_PURPOSE_LABELS: Record<ConsentPurpose, string> = {
  REFERRAL: '機関紹介',
  INFO_SHARING: '支援情報共有',
  CASE_CONFERENCE: 'ケース会議',
  EMPLOYER_DISCLOSURE: '事業主への開示',
  CASE_PRESENTATION: '事例発表',
  STATISTICS: '統計・研究',
};

export const CONSENT_METHODS = ['WRITTEN', 'ELECTRONIC', 'VERBAL_RECORDED'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];
export const CONSENT_METHOD_LABELS: Record<ConsentMethod, string> = {
  WRITTEN: '書面',
  ELECTRONIC: '電子的方法',
  VERBAL_RECORDED: '口頭 (記録あり)',
};

export const CONSENT_GRANTORS = ['SELF', 'REPRESENTATIVE'] as const;
export type ConsentGrantor = (typeof CONSENT_GRANTORS)[number];
export const CONSENT_GRANTOR_LABELS: Record<ConsentGrantor, string> = { SELF: '本人', REPRESENTATIVE: '代理人' };

export type ConsentStatus = 'ACTIVE' | 'EXPIRED' | 'WITHDRAWN';
export const CONSENT_STATUS_LABELS: Record<ConsentStatus, string> = {
  ACTIVE: '有効',
  EXPIRED: '期限切れ',
  WITHDRAWN: '撤回',
};

/** The derived status, in SQL over the alias `g`: the same rule as app_client_categories(). */
export const CONSENT_STATUS_SQL = `CASE WHEN g.withdrawn_at IS NOT NULL THEN 'WITHDRAWN'
  WHEN g.expires_at IS NOT NULL AND g.expires_at <= now() THEN 'EXPIRED' ELSE 'ACTIVE' END`;

/**
 * The grants an organization may read, stated in the query as well as in RLS (either wall must hold alone): its own,
 * and those naming it that a referral sent to it relies on. `org` is the placeholder of the acting organization.
 */
export const CONSENT_READABLE = (org: string) => `(g.org_id = ${org}::uuid
  OR (${org}::uuid = ANY (g.recipient_org_ids)
      AND EXISTS (SELECT 1 FROM referrals r WHERE r.consent_id = g.id AND r.to_org_id = ${org}::uuid)))`;

export const CONSENT_COLUMNS = `g.id, g.org_id, g.client_id, g.recipient_org_ids, g.purposes, g.categories, g.method,
  g.granted_by, g.granted_at, g.expires_at, g.evidence_ref, g.withdrawn_at, g.withdrawal_reason,
  ${CONSENT_STATUS_SQL} AS status`;

export interface ConsentRow {
  id: string;
  org_id: string;
  client_id: string;
  recipient_org_ids: string[];
  purposes: ConsentPurpose[];
  categories: DataCategory[];
  method: ConsentMethod;
  granted_by: ConsentGrantor;
  granted_at: Date;
  expires_at: Date | null;
  evidence_ref: string | null;
  withdrawn_at: Date | null;
  withdrawal_reason: string | null;
  status: ConsentStatus;
}

export interface ConsentGrantView {
  id: string;
  orgId: string;
  clientId: string;
  recipientOrgIds: string[];
  purposes: ConsentPurpose[];
  categories: DataCategory[];
  method: ConsentMethod;
  grantedBy: ConsentGrantor;
  grantedAt: Date;
  expiresAt: Date | null;
  /** Where the signed form or recording is kept: shown to the recording organization only. */
  evidenceRef: string | null;
  withdrawnAt: Date | null;
  withdrawalReason: string | null;
  status: ConsentStatus;
}

export function toConsentView(r: ConsentRow, actingOrgId: string | null): ConsentGrantView {
  const own = r.org_id === actingOrgId;
  return {
    id: r.id,
    orgId: r.org_id,
    clientId: r.client_id,
    recipientOrgIds: r.recipient_org_ids,
    purposes: r.purposes,
    categories: r.categories,
    method: r.method,
    grantedBy: r.granted_by,
    grantedAt: r.granted_at,
    expiresAt: r.expires_at,
    evidenceRef: own ? r.evidence_ref : null,
    withdrawnAt: r.withdrawn_at,
    withdrawalReason: own ? r.withdrawal_reason : null,
    status: r.status,
  };
}

export interface RecordConsentInput {
  clientId: string;
  recipientOrganizationIds: string[];
  purposes: string[];
  categories: string[];
  method: string;
  expiresAt?: Date | null;
  evidenceRef?: string | null;
  grantedBy?: string | null;
  grantedAt?: Date | null;
}
