import { invalidTransition, queryRows, type Tx } from '@tasuki/platform';
import { appendTimeline, type TimelineKind } from '../timeline/timeline.model.js';
import {
  CONSENT_WITHDRAWN,
  DECLINE_CODE_LABELS,
  REFERRAL_COLUMNS,
  REFERRAL_TRANSITIONS,
  type DeclineCode,
  type ReferralRow,
  type ReferralStatus,
} from './referral.model.js';

export interface TransitionActor {
  orgId: string;
  userId: string | null;
}

export interface TransitionDetails {
  reason?: string | null;
  declineCode?: DeclineCode | null;
  outcome?: string | null;
  toCaseId?: string | null;
}

const SUMMARIES: Record<ReferralStatus, (from: string, to: string, d: TransitionDetails) => string> = {
  DRAFT: (f, t) => `${f}から${t}への紹介を作成しました`,
  SENT: (f, t) => `${f}から${t}へ紹介を送付しました`,
  RECEIVED: (f, t) => `${t}が${f}からの紹介を開封しました`,
  ACCEPTED: (f, t) => `${t}が${f}からの紹介を受理しました`,
  DECLINED: (f, t, d) => `${t}が${f}からの紹介を辞退しました (${DECLINE_CODE_LABELS[d.declineCode ?? 'OTHER']})`,
  CANCELLED: (f, t, d) =>
    `${f}から${t}への紹介が取り消されました${d.reason === CONSENT_WITHDRAWN ? ' (同意の撤回による)' : ''}`,
  COMPLETED: (f, t) => `${f}から${t}への紹介による支援が完了しました`,
  FAILED: (f, t) => `${f}から${t}への紹介による支援は不成立となりました`,
};

/**
 * What every referral transition leaves behind, in the caller's transaction: a row of the referral's history and
 * an entry on the timeline of both organizations (the recipient's before it has a case, too).
 */
export async function recordTransitionEffects(
  tx: Tx,
  r: ReferralRow,
  from: ReferralStatus | null,
  actor: TransitionActor,
  details: TransitionDetails = {},
): Promise<void> {
  await tx.query(
    `INSERT INTO referral_transitions (org_id, to_org_id, referral_id, from_status, to_status, actor_org_id,
       actor_user_id, reason, code)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      r.org_id,
      r.to_org_id,
      r.id,
      from,
      r.status,
      actor.orgId,
      actor.userId,
      details.reason ?? details.outcome ?? null,
      details.declineCode ?? null,
    ],
  );
  const names: { id: string; name: string }[] = await tx.query(
    'SELECT id, name FROM organizations WHERE id = ANY ($1::uuid[])',
    [[r.org_id, r.to_org_id]],
  );
  const nameOf = (id: string) => names.find((n) => n.id === id)?.name ?? '他機関';
  const summary = SUMMARIES[r.status](nameOf(r.org_id), nameOf(r.to_org_id), details);
  const text = details.reason === CONSENT_WITHDRAWN ? null : (details.outcome ?? details.reason ?? null);
  const kind = `REFERRAL_${r.status}` as TimelineKind;
  const common = {
    clientId: r.client_id,
    kind,
    summary,
    body: text,
    authorUserId: actor.userId,
    authorOrgId: actor.orgId,
    referralId: r.id,
  };
  await appendTimeline(tx, [
    { ...common, orgId: r.org_id, caseId: r.from_case_id },
    { ...common, orgId: r.to_org_id, caseId: r.to_case_id },
  ]);
}

/**
 * Moves a referral to `to`, refusing what the state machine does not allow (INVALID_TRANSITION, nothing changed).
 * The UPDATE is conditional on the status read, so two concurrent answers cannot both win.
 */
export async function transitionReferral(
  tx: Tx,
  r: ReferralRow,
  to: ReferralStatus,
  actor: TransitionActor,
  details: TransitionDetails = {},
): Promise<ReferralRow> {
  if (!REFERRAL_TRANSITIONS[r.status].includes(to)) {
    throw invalidTransition(`この紹介は現在の状態 (${r.status}) から ${to} にできません。`);
  }
  const terminal = REFERRAL_TRANSITIONS[to].length === 0;
  const [updated] = await queryRows<ReferralRow>(
    tx,
    `UPDATE referrals r SET status = $2,
        status_reason = coalesce($3, r.status_reason),
        decline_code = coalesce($4, r.decline_code),
        outcome = coalesce($5, r.outcome),
        to_case_id = coalesce($6, r.to_case_id),
        received_at = CASE WHEN $2 IN ('RECEIVED','ACCEPTED','DECLINED') THEN coalesce(r.received_at, now())
                           ELSE r.received_at END,
        responded_at = CASE WHEN $2 IN ('ACCEPTED','DECLINED') THEN now() ELSE r.responded_at END,
        closed_at = CASE WHEN $7 THEN now() ELSE r.closed_at END
      WHERE r.id = $1 AND r.status = $8
      RETURNING ${REFERRAL_COLUMNS}`,
    [
      r.id,
      to,
      to === 'CANCELLED' || to === 'DECLINED' || to === 'FAILED' ? (details.reason ?? null) : null,
      details.declineCode ?? null,
      details.outcome ?? null,
      details.toCaseId ?? null,
      terminal,
      r.status,
    ],
  );
  if (!updated) throw invalidTransition('この紹介は他の操作で状態が変わりました。最新の状態を確認してください。');
  await recordTransitionEffects(tx, updated, r.status, actor, details);
  return updated;
}
