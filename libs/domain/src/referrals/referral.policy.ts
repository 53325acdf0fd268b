import type { PolicyRules } from '@tasuki/platform';

/**
 * Referrals. The sender's side (orgId): a COORDINATOR sends, reads and cancels any of the organization's; a
 * SUPPORTER those of the cases assigned to them. The recipient's side (toOrgId): a COORDINATOR reads and answers
 * (accepts, declines) every incoming referral and completes accepted ones; a SUPPORTER assigned to the case an
 * accepted referral opened reads it and completes it.
 */
export const referralPolicy: PolicyRules = (actor, { can }) => {
  if (!actor.orgId) return;
  const orgId = actor.orgId;
  if (actor.roles.includes('COORDINATOR')) {
    can(['create', 'read', 'update'], 'Referral', { orgId });
    can(['read', 'answer', 'update'], 'Referral', { toOrgId: orgId });
  }
  if (actor.roles.includes('SUPPORTER')) {
    can(['create', 'read', 'update'], 'Referral', { orgId, fromCaseAssigneeIds: actor.userId });
    can(['read', 'update'], 'Referral', { toOrgId: orgId, toCaseAssigneeIds: actor.userId });
  }
};
