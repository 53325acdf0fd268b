import type { Tx } from '@tasuki/platform';
import { REFERRAL_COLUMNS, type ReferralRow } from '../referrals/referral.model.js';
import { transitionReferral } from '../referrals/referral-transitions.js';
import { appendTimeline, type NewTimelineEntry } from '../timeline/timeline.model.js';

export const CONSENT_EXPIRED = 'CONSENT_EXPIRED';

export interface ConsentEnd {
  how: 'WITHDRAWN' | 'EXPIRED';
  /** The withdrawal's reason (kept in the owner's timeline); none for an expiry. */
  reason: string | null;
  /** Who recorded it; null when the worker applies an expiry. */
  userId: string | null;
}

/**
 * What the end of a grant does beyond the grant itself (PRODUCT.md §3 Consent), in the caller's transaction: SENT
 * and RECEIVED referrals relying on it are cancelled (CONSENT_WITHDRAWN / CONSENT_EXPIRED), the owner's timeline
 * records it, and each recipient holding an accepted referral is told in its own timeline that the shared fields
 * are gone (the database already hides them). Returns the ids of the cancelled referrals.
 */
export async function applyConsentEnd(
  tx: Tx,
  grant: { id: string; org_id: string; client_id: string },
  ownCase: { id: string } | null,
  end: ConsentEnd,
): Promise<string[]> {
  const relying: ReferralRow[] = await tx.query(
    `SELECT ${REFERRAL_COLUMNS} FROM referrals r WHERE r.org_id = $1 AND r.consent_id = $2
      AND r.status IN ('SENT','RECEIVED','ACCEPTED','COMPLETED') ORDER BY r.created_at FOR UPDATE`,
    [grant.org_id, grant.id],
  );
  const withdrawn = end.how === 'WITHDRAWN';
  const entries: NewTimelineEntry[] = [
    {
      orgId: grant.org_id,
      clientId: grant.client_id,
      caseId: ownCase?.id ?? null,
      kind: withdrawn ? 'CONSENT_WITHDRAWN' : 'CONSENT_EXPIRED',
      summary: withdrawn ? '本人が同意を撤回しました' : '同意の有効期限が切れました',
      body: end.reason,
      authorUserId: end.userId,
      authorOrgId: grant.org_id,
    },
  ];
  const cancelled: string[] = [];
  for (const r of relying) {
    if (r.status === 'SENT' || r.status === 'RECEIVED') {
      await transitionReferral(
        tx,
        r,
        'CANCELLED',
        { orgId: grant.org_id, userId: end.userId },
        { reason: withdrawn ? 'CONSENT_WITHDRAWN' : CONSENT_EXPIRED },
      );
      cancelled.push(r.id);
    } else {
      // An accepted referral stays as it is, but the recipient may no longer read what it shared.
      entries.push({
        orgId: r.to_org_id,
        clientId: r.client_id,
        caseId: r.to_case_id,
        kind: withdrawn ? 'CONSENT_WITHDRAWN' : 'CONSENT_EXPIRED',
        summary: withdrawn
          ? '本人が情報共有への同意を撤回したため、共有されていた情報は表示されなくなりました'
          : '情報共有への同意の有効期限が切れたため、共有されていた情報は表示されなくなりました',
        authorUserId: end.userId,
        authorOrgId: grant.org_id,
        referralId: r.id,
      });
    }
  }
  await appendTimeline(tx, entries);
  return cancelled;
}
