import type { PolicyRules } from '@tasuki/platform';

/**
 * Members: ORG_ADMIN manages its organization's memberships and reads its audit log; coordinators and supporters
 * see their colleagues (for assignment and handover); the operator adds first members to any organization.
 */
export const memberPolicy: PolicyRules = (actor, { can }) => {
  can('read', 'User', { id: actor.userId });
  can('read', 'Membership', { userId: actor.userId });
  if (actor.isOperator) {
    can('create', 'Membership');
    can('read', 'Membership');
  }
  if (!actor.orgId) return;
  if (actor.roles.length > 0) {
    can('read', 'Membership', { orgId: actor.orgId });
    can('read', 'User');
  }
  if (actor.roles.includes('ORG_ADMIN')) {
    can(['create', 'update'], 'Membership', { orgId: actor.orgId });
    can('read', 'AuditEvent', { orgId: actor.orgId });
  }
};
