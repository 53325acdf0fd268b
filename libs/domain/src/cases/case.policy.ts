import type { PolicyRules } from '@tasuki/platform';

/**
 * Cases (PRODUCT.md §3): a SUPPORTER reads and writes the cases they are assigned to and those a live handover
 * hands over to them (until the assignments move, when they become the assignee); a COORDINATOR every case of
 * the organization, and assigns. ORG_ADMIN and ANALYST have no case access from those roles. A client is reached
 * only through a case the caller may read, so Client rules carry no conditions of their own.
 */
export const casePolicy: PolicyRules = (actor, { can }) => {
  if (!actor.orgId) return;
  const orgId = actor.orgId;
  const coordinator = actor.roles.includes('COORDINATOR');
  const supporter = actor.roles.includes('SUPPORTER');
  if (coordinator) can(['read', 'update', 'assign'], 'Case', { orgId });
  if (supporter) {
    can(['read', 'update'], 'Case', { orgId, assigneeIds: actor.userId });
    can(['read', 'update'], 'Case', { orgId, handoverSuccessorIds: actor.userId });
  }
  if (coordinator || supporter) {
    can(['create', 'read'], 'Client');
    can(['create', 'read'], 'TimelineEntry', { orgId });
    can(['create', 'read', 'update'], 'ConsentGrant', { orgId });
  }
};
