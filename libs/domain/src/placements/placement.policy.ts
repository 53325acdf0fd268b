import type { PolicyRules } from '@tasuki/platform';

/**
 * Placements and their follow-ups follow the case: a SUPPORTER records and reads them on the cases assigned to them,
 * a COORDINATOR on every case of the organization. ORG_ADMIN and ANALYST have none.
 */
export const placementPolicy: PolicyRules = (actor, { can }) => {
  if (!actor.orgId) return;
  const orgId = actor.orgId;
  if (actor.roles.includes('COORDINATOR')) can(['create', 'read', 'update'], 'Placement', { orgId });
  if (actor.roles.includes('SUPPORTER')) {
    can(['create', 'read', 'update'], 'Placement', { orgId, assigneeIds: actor.userId });
  }
};
