import type { Tx } from '@tasuki/platform';
import { CONSENT_PURPOSE_LABELS, CONSENT_STATUS_LABELS, CONSENT_STATUS_SQL } from '../consents/consent.model.js';
import type { ConsentPurpose, ConsentStatus } from '../consents/consent.model.js';
import { DATA_CATEGORY_LABELS, type DataCategory } from '../clients/client.model.js';
import { OPEN_REFERRAL_STATUSES } from '../cases/case.model.js';
import { FOLLOW_UP_MILESTONE_LABELS, type FollowUpMilestone } from '../placements/placement.model.js';
import { ORGANIZATION_KIND_LABELS, type OrganizationKind } from '../organizations/organization.model.js';
import {
  REFERRAL_REASON_LABELS,
  REFERRAL_STATUS_LABELS,
  type ReferralReason,
  type ReferralStatus,
} from '../referrals/referral.model.js';

/** Days ahead within which a consent's expiry is flagged in the pack (the reminder's window, PRODUCT.md §3). */
export const CONSENT_EXPIRY_WARNING_DAYS = 30;
export const PACK_RECENT_ENTRIES = 5;

export interface PackReferral {
  referralId: string;
  direction: 'OUTGOING' | 'INCOMING';
  organizationId: string;
  organizationName: string;
  reason: ReferralReason;
  status: ReferralStatus;
  respondBy: string | null;
  sentAt: Date | null;
}

export interface PackConsent {
  consentId: string;
  status: ConsentStatus;
  purposes: ConsentPurpose[];
  categories: DataCategory[];
  expiresAt: Date | null;
  expiringSoon: boolean;
}

export interface PackFollowUp {
  followUpId: string;
  milestone: FollowUpMilestone;
  dueOn: string;
}

export interface PackEntry {
  kind: string;
  occurredAt: Date;
  summary: string;
}

export interface PackOrganization {
  organizationId: string;
  name: string;
  kind: OrganizationKind;
}

/**
 * What the system already knows about one case at the moment of reading (PRODUCT.md §2 Handover): open referrals,
 * consent grants with status and expiry, upcoming follow-ups, the last five timeline entries and the other
 * organizations working with the client that a consent lets this organization name. `text` is the same in Japanese
 * prose, for the contract's `pack: String!`.
 */
export interface HandoverPack {
  caseId: string;
  openReferrals: PackReferral[];
  consents: PackConsent[];
  upcomingFollowUps: PackFollowUp[];
  recentEntries: PackEntry[];
  otherOrganizations: PackOrganization[];
  text: string;
}

/**
 * Packs of the acting organization's cases `caseIds` (already reached by the caller), in six statements whatever
 * their number. Only the organization's own records and what the consent lets it see are read (RLS applies).
 */
export async function buildPacks(
  tx: Tx,
  orgId: string,
  caseIds: readonly string[],
): Promise<Map<string, HandoverPack>> {
  const cases: { id: string; client_id: string }[] = await tx.query(
    `SELECT id, client_id FROM cases WHERE org_id = $1 AND id = ANY ($2::uuid[])`,
    [orgId, caseIds],
  );
  const clientIds = cases.map((c) => c.client_id);
  const referrals: {
    id: string;
    client_id: string;
    outgoing: boolean;
    other_id: string;
    other_name: string;
    reason: ReferralReason;
    status: ReferralStatus;
    respond_by: string | null;
    sent_at: Date | null;
  }[] = await tx.query(
    `SELECT r.id, r.client_id, r.org_id = $1 AS outgoing, o.id AS other_id, o.name AS other_name, r.reason, r.status,
            to_char(r.respond_by, 'YYYY-MM-DD') AS respond_by, r.sent_at
       FROM referrals r
       JOIN organizations o ON o.id = CASE WHEN r.org_id = $1 THEN r.to_org_id ELSE r.org_id END
      WHERE r.client_id = ANY ($2::uuid[]) AND (r.org_id = $1 OR r.to_org_id = $1)
        AND r.status IN ${OPEN_REFERRAL_STATUSES}
      ORDER BY r.sent_at NULLS LAST, r.id`,
    [orgId, clientIds],
  );
  const consents: {
    id: string;
    client_id: string;
    status: ConsentStatus;
    purposes: ConsentPurpose[];
    categories: DataCategory[];
    expires_at: Date | null;
    expiring_soon: boolean;
  }[] = await tx.query(
    `SELECT g.id, g.client_id, ${CONSENT_STATUS_SQL} AS status, g.purposes, g.categories, g.expires_at,
            (g.withdrawn_at IS NULL AND g.expires_at > now()
              AND g.expires_at <= now() + make_interval(days => $3)) AS expiring_soon
       FROM consent_grants g WHERE g.org_id = $1 AND g.client_id = ANY ($2::uuid[])
      ORDER BY g.granted_at DESC, g.id`,
    [orgId, clientIds, CONSENT_EXPIRY_WARNING_DAYS],
  );
  const followUps: { id: string; case_id: string; milestone: FollowUpMilestone; due_on: string }[] = await tx.query(
    `SELECT f.id, f.case_id, f.milestone, to_char(f.due_on, 'YYYY-MM-DD') AS due_on FROM follow_ups f
      WHERE f.org_id = $1 AND f.case_id = ANY ($2::uuid[]) AND f.status = 'SCHEDULED'
      ORDER BY f.due_on, f.id`,
    [orgId, caseIds],
  );
  const entries: { case_id: string; kind: string; occurred_at: Date; summary: string }[] = await tx.query(
    `SELECT c.id AS case_id, t.kind, t.occurred_at, t.summary
       FROM cases c
       CROSS JOIN LATERAL (SELECT x.kind, x.occurred_at, x.summary FROM timeline_entries x
                            WHERE x.org_id = c.org_id AND x.client_id = c.client_id
                            ORDER BY x.occurred_at DESC, x.id DESC LIMIT ${PACK_RECENT_ENTRIES}) t
      WHERE c.org_id = $1 AND c.id = ANY ($2::uuid[])
      ORDER BY c.id, t.occurred_at DESC`,
    [orgId, caseIds],
  );
  // Another organization is named only where the client consented to information moving between the two: an
  // ACTIVE grant recorded here that names it, or one recorded there that names this organization (and that this
  // organization may read: it was sent a referral relying on it).
  const others: { client_id: string; id: string; name: string; kind: OrganizationKind }[] = await tx.query(
    `SELECT DISTINCT r.client_id, o.id, o.name, o.kind
       FROM referrals r
       JOIN organizations o ON o.id = CASE WHEN r.org_id = $1 THEN r.to_org_id ELSE r.org_id END
      WHERE r.client_id = ANY ($2::uuid[]) AND (r.org_id = $1 OR r.to_org_id = $1)
        AND r.status IN ('SENT','RECEIVED','ACCEPTED','COMPLETED')
        AND EXISTS (SELECT 1 FROM consent_grants g
                     WHERE g.client_id = r.client_id AND g.withdrawn_at IS NULL
                       AND (g.expires_at IS NULL OR g.expires_at > now())
                       AND ((g.org_id = $1 AND o.id = ANY (g.recipient_org_ids))
                         OR (g.org_id = o.id AND $1 = ANY (g.recipient_org_ids))))
      ORDER BY o.name, o.id`,
    [orgId, clientIds],
  );

  const out = new Map<string, HandoverPack>();
  for (const c of cases) {
    const pack: Omit<HandoverPack, 'text'> = {
      caseId: c.id,
      openReferrals: referrals
        .filter((r) => r.client_id === c.client_id)
        .map((r) => ({
          referralId: r.id,
          direction: r.outgoing ? 'OUTGOING' : 'INCOMING',
          organizationId: r.other_id,
          organizationName: r.other_name,
          reason: r.reason,
          status: r.status,
          respondBy: r.respond_by,
          sentAt: r.sent_at,
        })),
      consents: consents
        .filter((g) => g.client_id === c.client_id)
        .map((g) => ({
          consentId: g.id,
          status: g.status,
          purposes: g.purposes,
          categories: g.categories,
          expiresAt: g.expires_at,
          expiringSoon: g.expiring_soon,
        })),
      upcomingFollowUps: followUps
        .filter((f) => f.case_id === c.id)
        .map((f) => ({ followUpId: f.id, milestone: f.milestone, dueOn: f.due_on })),
      recentEntries: entries
        .filter((e) => e.case_id === c.id)
        .map((e) => ({ kind: e.kind, occurredAt: e.occurred_at, summary: e.summary })),
      otherOrganizations: others
        .filter((o) => o.client_id === c.client_id)
        .map((o) => ({ organizationId: o.id, name: o.name, kind: o.kind })),
    };
    out.set(c.id, { ...pack, text: packText(pack) });
  }
  return out;
}

const jst = (d: Date) => new Date(d.getTime() + 9 * 3600_000).toISOString().slice(0, 10);

/** The pack as Japanese text, one section per kind of record, each saying so when it is empty. */
export function packText(p: Omit<HandoverPack, 'text'>): string {
  const section = (title: string, lines: string[], empty: string) =>
    [`【${title}】`, ...(lines.length ? lines.map((l) => `・${l}`) : [`・${empty}`])].join('\n');
  return [
    section(
      '進行中の紹介',
      p.openReferrals.map(
        (r) =>
          `${r.direction === 'OUTGOING' ? `${r.organizationName}へ送付` : `${r.organizationName}から受付`}` +
          `（${REFERRAL_REASON_LABELS[r.reason]}）: ${REFERRAL_STATUS_LABELS[r.status]}` +
          (r.respondBy && r.status !== 'ACCEPTED' ? `、回答期限 ${r.respondBy}` : ''),
      ),
      'なし',
    ),
    section(
      '同意',
      p.consents.map(
        (g) =>
          `${CONSENT_STATUS_LABELS[g.status]}: ${g.purposes.map((x) => CONSENT_PURPOSE_LABELS[x]).join('・')}` +
          `（${g.categories.map((x) => DATA_CATEGORY_LABELS[x]).join('・')}）` +
          (g.expiresAt ? `、有効期限 ${jst(g.expiresAt)}` : '、期限なし') +
          (g.expiringSoon ? ` ※${CONSENT_EXPIRY_WARNING_DAYS}日以内に期限切れ` : ''),
      ),
      '記録なし',
    ),
    section(
      '今後のフォローアップ',
      p.upcomingFollowUps.map((f) => `${f.dueOn}（${FOLLOW_UP_MILESTONE_LABELS[f.milestone]}）`),
      '予定なし',
    ),
    section(
      `直近の記録（${PACK_RECENT_ENTRIES}件まで）`,
      p.recentEntries.map((e) => `${jst(e.occurredAt)} ${e.summary}`),
      '記録なし',
    ),
    section(
      '関わっている他機関（同意の範囲）',
      p.otherOrganizations.map((o) => `${o.name}（${ORGANIZATION_KIND_LABELS[o.kind]}）`),
      'なし',
    ),
  ].join('\n');
}
